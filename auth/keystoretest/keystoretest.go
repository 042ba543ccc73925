// Package keystoretest is the conformance suite of auth.KeyStore: the
// tests of every key store (auth.NewMemoryKeyStore, auth/pgkeys,
// auth/rediskeys) call [Run] with a factory returning a fresh, empty store.
package keystoretest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
)

// KeyStoreFactory returns a fresh, empty, isolated key store for one test
// and registers its cleanup with t.Cleanup.
type KeyStoreFactory func(t *testing.T) auth.KeyStore

// Run runs the KeyStore conformance suite, each subtest on its own
// instance from newStore, in parallel.
func Run(t *testing.T, newStore func(t *testing.T) auth.KeyStore) {
	t.Helper()
	f := KeyStoreFactory(newStore)
	for _, c := range []struct {
		name string
		test func(*testing.T, KeyStoreFactory)
	}{
		{"CreateAPIKey", testCreateAPIKey},
		{"GetAPIKeyByHash", testGetAPIKeyByHash},
		{"GetAPIKey", testGetAPIKey},
		{"ListAPIKeys", testListAPIKeys},
		{"RevokeAPIKey", testRevokeAPIKey},
		{"TouchAPIKey", testTouchAPIKey},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.test(t, f)
		})
	}
}

func setupKeys(t *testing.T, newStore KeyStoreFactory) (context.Context, auth.KeyStore) {
	t.Helper()
	s := newStore(t)
	require.NotNil(t, s, "the factory returned a nil key store")
	return t.Context(), s
}

// newKey returns a key with a random secret's hash, created at created.
func newKey(created time.Time, mods ...func(*auth.APIKey)) *auth.APIKey {
	h := sha256.Sum256([]byte(rand.Text()))
	k := &auth.APIKey{
		ID:      taskq.NewID(),
		Name:    "ci deploys",
		Role:    auth.RoleUser,
		Hash:    h[:],
		Created: created,
	}
	for _, m := range mods {
		m(k)
	}
	return k
}

func normalizeKey(k *auth.APIKey) auth.APIKey {
	c := *k
	c.Created = normTime(c.Created)
	c.ExpiresAt = normTimePtr(c.ExpiresAt)
	c.RevokedAt = normTimePtr(c.RevokedAt)
	c.LastUsed = normTimePtr(c.LastUsed)
	return c
}

func requireKeyEqual(t *testing.T, want, got *auth.APIKey, msgAndArgs ...any) {
	t.Helper()
	require.NotNil(t, got, msgAndArgs...)
	require.Equal(t, normalizeKey(want), normalizeKey(got), msgAndArgs...)
}

func createKeys(t *testing.T, ctx context.Context, s auth.KeyStore, ks ...*auth.APIKey) {
	t.Helper()
	for _, k := range ks {
		require.NoError(t, s.CreateAPIKey(ctx, k))
	}
}

func getKey(t *testing.T, ctx context.Context, s auth.KeyStore, id string) *auth.APIKey {
	t.Helper()
	k, err := s.GetAPIKey(ctx, id)
	require.NoError(t, err)
	return k
}

func testCreateAPIKey(t *testing.T, newStore KeyStoreFactory) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		n := now()
		want := newKey(n, func(k *auth.APIKey) {
			k.Role = auth.RoleAdmin
			k.Name = "ops ✓"
			k.ExpiresAt = new(n.Add(24 * time.Hour))
		})
		plain := newKey(n)
		createKeys(t, ctx, s, want, plain)
		requireKeyEqual(t, want, getKey(t, ctx, s, want.ID))
		requireKeyEqual(t, plain, getKey(t, ctx, s, plain.ID))
		got := getKey(t, ctx, s, plain.ID)
		require.Nil(t, got.ExpiresAt)
		require.Nil(t, got.RevokedAt)
		require.Nil(t, got.LastUsed)
		require.True(t, got.Active(n))
	})

	t.Run("DuplicateID", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		a := newKey(now())
		createKeys(t, ctx, s, a)
		b := newKey(now(), func(k *auth.APIKey) { k.ID = a.ID; k.Name = "other" })
		require.ErrorIs(t, s.CreateAPIKey(ctx, b), taskq.ErrConflict)
		requireKeyEqual(t, a, getKey(t, ctx, s, a.ID))
		_, err := s.GetAPIKeyByHash(ctx, b.Hash)
		require.ErrorIs(t, err, taskq.ErrNotFound)
	})

	t.Run("DuplicateHash", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		a := newKey(now())
		createKeys(t, ctx, s, a)
		b := newKey(now(), func(k *auth.APIKey) { k.Hash = a.Hash })
		require.ErrorIs(t, s.CreateAPIKey(ctx, b), taskq.ErrConflict)
		_, err := s.GetAPIKey(ctx, b.ID)
		require.ErrorIs(t, err, taskq.ErrNotFound)
	})

	t.Run("StoresACopy", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		k := newKey(now())
		want := *k
		want.Hash = append([]byte(nil), k.Hash...)
		createKeys(t, ctx, s, k)
		k.Hash[0] ^= 0xff
		k.Name = "changed"
		got := getKey(t, ctx, s, k.ID)
		requireKeyEqual(t, &want, got)
		got.Hash[0] ^= 0xff
		got.Role = auth.RoleAdmin
		requireKeyEqual(t, &want, getKey(t, ctx, s, k.ID))
	})
}

func testGetAPIKeyByHash(t *testing.T, newStore KeyStoreFactory) {
	t.Run("Found", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		a, b := newKey(now()), newKey(now())
		createKeys(t, ctx, s, a, b)
		got, err := s.GetAPIKeyByHash(ctx, b.Hash)
		require.NoError(t, err)
		requireKeyEqual(t, b, got)
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		createKeys(t, ctx, s, newKey(now()))
		h := sha256.Sum256([]byte("unknown secret"))
		_, err := s.GetAPIKeyByHash(ctx, h[:])
		require.ErrorIs(t, err, taskq.ErrNotFound)
	})

	t.Run("IncludesExpired", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		n := now()
		k := newKey(n.Add(-48*time.Hour), func(k *auth.APIKey) { k.ExpiresAt = new(n.Add(-time.Hour)) })
		createKeys(t, ctx, s, k)
		got, err := s.GetAPIKeyByHash(ctx, k.Hash)
		require.NoError(t, err)
		require.False(t, got.Active(n))
	})
}

func testGetAPIKey(t *testing.T, newStore KeyStoreFactory) {
	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		createKeys(t, ctx, s, newKey(now()))
		_, err := s.GetAPIKey(ctx, taskq.NewID())
		require.ErrorIs(t, err, taskq.ErrNotFound)
	})
}

func testListAPIKeys(t *testing.T, newStore KeyStoreFactory) {
	t.Run("OldestFirst", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		base := now().Add(-time.Hour)
		mid, newest, oldest := newKey(base.Add(time.Minute)), newKey(base.Add(2*time.Minute)), newKey(base)
		createKeys(t, ctx, s, mid, newest, oldest)
		got, err := s.ListAPIKeys(ctx)
		require.NoError(t, err)
		require.Len(t, got, 3)
		for i, want := range []*auth.APIKey{oldest, mid, newest} {
			requireKeyEqual(t, want, got[i], "position %d", i)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		got, err := s.ListAPIKeys(ctx)
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("IncludesRevoked", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		a, b := newKey(now().Add(-time.Minute)), newKey(now())
		createKeys(t, ctx, s, a, b)
		require.NoError(t, s.RevokeAPIKey(ctx, a.ID, now()))
		got, err := s.ListAPIKeys(ctx)
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, a.ID, got[0].ID)
		require.NotNil(t, got[0].RevokedAt)
	})
}

func testRevokeAPIKey(t *testing.T, newStore KeyStoreFactory) {
	t.Run("Revokes", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		k, other := newKey(now()), newKey(now())
		createKeys(t, ctx, s, k, other)
		at := now().Add(time.Second)
		require.NoError(t, s.RevokeAPIKey(ctx, k.ID, at))
		got, err := s.GetAPIKeyByHash(ctx, k.Hash)
		require.NoError(t, err, "a revoked key is still found by hash")
		requireTime(t, at, got.RevokedAt)
		require.False(t, got.Active(at))
		require.False(t, got.Active(at.Add(-time.Hour)), "revocation does not depend on the time asked")
		want := *k
		want.RevokedAt = new(at)
		requireKeyEqual(t, &want, got)
		requireKeyEqual(t, other, getKey(t, ctx, s, other.ID), "other keys are untouched")
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		require.ErrorIs(t, s.RevokeAPIKey(ctx, taskq.NewID(), now()), taskq.ErrNotFound)
	})
}

func testTouchAPIKey(t *testing.T, newStore KeyStoreFactory) {
	t.Run("SetsLastUsed", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		k := newKey(now())
		createKeys(t, ctx, s, k)
		first := now().Add(time.Second)
		require.NoError(t, s.TouchAPIKey(ctx, k.ID, first))
		requireTime(t, first, getKey(t, ctx, s, k.ID).LastUsed)
		second := first.Add(time.Minute)
		require.NoError(t, s.TouchAPIKey(ctx, k.ID, second))
		got := getKey(t, ctx, s, k.ID)
		requireTime(t, second, got.LastUsed)
		require.Nil(t, got.RevokedAt)
		require.True(t, got.Active(second))
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		ctx, s := setupKeys(t, newStore)
		require.ErrorIs(t, s.TouchAPIKey(ctx, taskq.NewID(), now()), taskq.ErrNotFound)
	})
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func normTime(v time.Time) time.Time { return v.UTC().Truncate(time.Microsecond) }

func normTimePtr(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	v := normTime(*p)
	return &v
}
func requireTime(t *testing.T, want time.Time, got *time.Time, msgAndArgs ...any) {
	t.Helper()
	require.NotNil(t, got, msgAndArgs...)
	require.Equal(t, normTime(want), normTime(*got), msgAndArgs...)
}
