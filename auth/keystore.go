package auth

import (
	"context"
	"time"
)

// APIKey is a stored API key. The secret itself is never stored: only a
// hash of it.
type APIKey struct {
	// ID is the key's id and principal name.
	ID string `json:"id"`
	// Name is a label chosen by its creator.
	Name string `json:"name"`
	// Role is the role the key grants.
	Role Role `json:"role"`
	// Hash is the SHA-256 of the secret.
	Hash []byte `json:"-"`
	// Created is the creation time.
	Created time.Time `json:"created"`
	// ExpiresAt, when set, ends the key's validity.
	ExpiresAt *time.Time `json:"expires_at"`
	// RevokedAt is set when the key was revoked.
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// LastUsed is the last successful use.
	LastUsed *time.Time `json:"last_used"`
}

// Active reports whether the key is neither revoked nor expired at now.
func (k *APIKey) Active(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// KeyStore stores API keys: NewMemoryKeyStore keeps them in the process,
// package auth/pgkeys in PostgreSQL, package auth/rediskeys in Redis.
type KeyStore interface {
	// CreateAPIKey stores a new key; an id or hash already stored gives an
	// error matching taskq.ErrConflict.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// GetAPIKeyByHash returns the key whose Hash equals hash, or
	// taskq.ErrNotFound (revoked and expired keys included: callers check
	// Active).
	GetAPIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error)
	// GetAPIKey returns a key by id, or taskq.ErrNotFound.
	GetAPIKey(ctx context.Context, id string) (*APIKey, error)
	// ListAPIKeys returns every key, oldest first.
	ListAPIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeAPIKey marks a key revoked at now (a revoked key keeps its
	// first revocation time), or returns taskq.ErrNotFound.
	RevokeAPIKey(ctx context.Context, id string, now time.Time) error
	// TouchAPIKey records a use of the key at now, or returns
	// taskq.ErrNotFound.
	TouchAPIKey(ctx context.Context, id string, now time.Time) error
}
