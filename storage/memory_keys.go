package storage

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/taskq/taskq"
)

func cloneKey(k *taskq.APIKey) *taskq.APIKey {
	c := *k
	c.Hash = bytes.Clone(k.Hash)
	c.ExpiresAt = roundPtr(k.ExpiresAt)
	c.RevokedAt = roundPtr(k.RevokedAt)
	c.LastUsed = roundPtr(k.LastUsed)
	c.Created = k.Created.Round(0)
	return &c
}

// CreateAPIKey stores a copy of k. A key without id or hash is invalid
// input; an id or hash already stored gives an error matching
// taskq.ErrConflict.
func (m *Memory) CreateAPIKey(ctx context.Context, k *taskq.APIKey) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	if k == nil || k.ID == "" || len(k.Hash) == 0 {
		return invalid("storage: api key needs an id and a hash")
	}
	c := cloneKey(k)
	m.keyMu.Lock()
	defer m.keyMu.Unlock()
	if _, ok := m.keys[c.ID]; ok {
		return &taskq.Error{Code: taskq.CodeConflict, Message: "api key " + c.ID + " exists"}
	}
	if _, ok := m.keyByHash[string(c.Hash)]; ok {
		return &taskq.Error{Code: taskq.CodeConflict, Message: "an api key with this hash exists"}
	}
	m.keys[c.ID] = c
	m.keyByHash[string(c.Hash)] = c.ID
	return nil
}

// GetAPIKeyByHash returns a copy of the key with this hash, revoked and
// expired ones included, or an error matching taskq.ErrNotFound.
func (m *Memory) GetAPIKeyByHash(ctx context.Context, hash []byte) (*taskq.APIKey, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.keyMu.RLock()
	defer m.keyMu.RUnlock()
	id, ok := m.keyByHash[string(hash)]
	if !ok {
		return nil, &taskq.Error{Code: taskq.CodeNotFound, Message: "api key not found"}
	}
	return cloneKey(m.keys[id]), nil
}

// GetAPIKey returns a copy of a key by id, or an error matching
// taskq.ErrNotFound.
func (m *Memory) GetAPIKey(ctx context.Context, id string) (*taskq.APIKey, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.keyMu.RLock()
	defer m.keyMu.RUnlock()
	k, ok := m.keys[id]
	if !ok {
		return nil, notFound("api key", id)
	}
	return cloneKey(k), nil
}

// ListAPIKeys returns copies of every key, oldest first (by Created, then
// id).
func (m *Memory) ListAPIKeys(ctx context.Context) ([]*taskq.APIKey, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.keyMu.RLock()
	out := make([]*taskq.APIKey, 0, len(m.keys))
	for _, k := range m.keys {
		out = append(out, cloneKey(k))
	}
	m.keyMu.RUnlock()
	slices.SortFunc(out, func(a, b *taskq.APIKey) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// RevokeAPIKey marks a key revoked at now, or returns an error matching
// taskq.ErrNotFound. Revoking a revoked key keeps the first revocation
// time.
func (m *Memory) RevokeAPIKey(ctx context.Context, id string, now time.Time) error {
	return m.updateKey(ctx, id, func(k *taskq.APIKey) {
		if k.RevokedAt == nil {
			t := now.Round(0)
			k.RevokedAt = &t
		}
	})
}

// TouchAPIKey records a use of the key at now, or returns an error matching
// taskq.ErrNotFound.
func (m *Memory) TouchAPIKey(ctx context.Context, id string, now time.Time) error {
	return m.updateKey(ctx, id, func(k *taskq.APIKey) {
		t := now.Round(0)
		k.LastUsed = &t
	})
}

func (m *Memory) updateKey(ctx context.Context, id string, f func(*taskq.APIKey)) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.keyMu.Lock()
	defer m.keyMu.Unlock()
	k, ok := m.keys[id]
	if !ok {
		return notFound("api key", id)
	}
	f(k)
	return nil
}
