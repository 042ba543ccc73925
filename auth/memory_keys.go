package auth

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taskq/taskq"
)

// MemoryKeyStore is a KeyStore in the process's memory, safe for
// concurrent use. It stores and returns copies. Nothing survives the
// process: use auth/pgkeys for durable keys.
type MemoryKeyStore struct {
	closed atomic.Bool

	mu     sync.RWMutex
	keys   map[string]*APIKey
	byHash map[string]string
}

var _ KeyStore = (*MemoryKeyStore)(nil)

// NewMemoryKeyStore returns an empty in-memory key store.
func NewMemoryKeyStore() *MemoryKeyStore {
	return &MemoryKeyStore{keys: make(map[string]*APIKey), byHash: make(map[string]string)}
}

// Close closes the store; later calls return an error matching
// taskq.ErrUnavailable. Closing twice is harmless.
func (m *MemoryKeyStore) Close() error {
	m.closed.Store(true)
	return nil
}

func (m *MemoryKeyStore) check(ctx context.Context) error {
	if m.closed.Load() {
		return taskq.NewError(taskq.CodeServiceUnavailable, "auth: memory key store is closed")
	}
	return ctx.Err()
}

func cloneKey(k *APIKey) *APIKey {
	c := *k
	c.Hash = bytes.Clone(k.Hash)
	c.ExpiresAt = roundPtr(k.ExpiresAt)
	c.RevokedAt = roundPtr(k.RevokedAt)
	c.LastUsed = roundPtr(k.LastUsed)
	c.Created = k.Created.Round(0)
	return &c
}

func roundPtr(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	v := p.Round(0)
	return &v
}

func keyNotFound() error {
	return &taskq.Error{Code: taskq.CodeNotFound, Message: "api key not found"}
}

// CreateAPIKey stores a copy of k. A key without id or hash is invalid
// input; an id or hash already stored gives an error matching
// taskq.ErrConflict.
func (m *MemoryKeyStore) CreateAPIKey(ctx context.Context, k *APIKey) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	if k == nil || k.ID == "" || len(k.Hash) == 0 {
		return taskq.NewError(taskq.CodeInvalidInput, "auth: api key needs an id and a hash")
	}
	c := cloneKey(k)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[c.ID]; ok {
		return &taskq.Error{Code: taskq.CodeConflict, Message: "api key " + c.ID + " exists"}
	}
	if _, ok := m.byHash[string(c.Hash)]; ok {
		return &taskq.Error{Code: taskq.CodeConflict, Message: "an api key with this hash exists"}
	}
	m.keys[c.ID] = c
	m.byHash[string(c.Hash)] = c.ID
	return nil
}

// GetAPIKeyByHash returns a copy of the key with this hash, revoked and
// expired ones included, or an error matching taskq.ErrNotFound.
func (m *MemoryKeyStore) GetAPIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	id, ok := m.byHash[string(hash)]
	if !ok {
		return nil, keyNotFound()
	}
	return cloneKey(m.keys[id]), nil
}

// GetAPIKey returns a copy of a key by id, or an error matching
// taskq.ErrNotFound.
func (m *MemoryKeyStore) GetAPIKey(ctx context.Context, id string) (*APIKey, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	k, ok := m.keys[id]
	if !ok {
		return nil, keyNotFound()
	}
	return cloneKey(k), nil
}

// ListAPIKeys returns copies of every key, oldest first (by Created, then
// id).
func (m *MemoryKeyStore) ListAPIKeys(ctx context.Context) ([]*APIKey, error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	m.mu.RLock()
	out := make([]*APIKey, 0, len(m.keys))
	for _, k := range m.keys {
		out = append(out, cloneKey(k))
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b *APIKey) int {
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
func (m *MemoryKeyStore) RevokeAPIKey(ctx context.Context, id string, now time.Time) error {
	return m.update(ctx, id, func(k *APIKey) {
		if k.RevokedAt == nil {
			t := now.Round(0)
			k.RevokedAt = &t
		}
	})
}

// TouchAPIKey records a use of the key at now (last use never moves
// backwards), or returns an error matching taskq.ErrNotFound.
func (m *MemoryKeyStore) TouchAPIKey(ctx context.Context, id string, now time.Time) error {
	return m.update(ctx, id, func(k *APIKey) {
		t := now.Round(0)
		if k.LastUsed == nil || t.After(*k.LastUsed) {
			k.LastUsed = &t
		}
	})
}

func (m *MemoryKeyStore) update(ctx context.Context, id string, f func(*APIKey)) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[id]
	if !ok {
		return keyNotFound()
	}
	f(k)
	return nil
}
