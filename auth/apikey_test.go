package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/testclock"
)

const testAdminKey = "bootstrap-admin-key-for-tests"

type keysBundle struct {
	clock *testclock.Clock
	store *auth.MemoryKeyStore
	keys  *auth.Keys
	authn *auth.Authenticator
	iss   *auth.Issuer
	ver   *auth.Verifier
}

func setupKeys(t *testing.T) keysBundle {
	t.Helper()
	b := keysBundle{clock: newClock(), store: auth.NewMemoryKeyStore()}
	var err error
	b.keys, err = auth.NewKeys(b.store, auth.KeysConfig{AdminKey: testAdminKey, Now: b.clock.Now})
	require.NoError(t, err)
	b.iss, b.ver = hsPair(t, b.clock, nil)
	b.authn, err = auth.NewAuthenticator(b.keys, b.ver, b.iss)
	require.NoError(t, err)
	return b
}

func TestGenerateAPIKey(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 1000 {
		secret, hash := auth.GenerateAPIKey()
		require.Len(t, secret, auth.APIKeyLen)
		require.True(t, strings.HasPrefix(secret, "tq_"))
		require.True(t, auth.WellFormedAPIKey(secret))
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(secret, "tq_"))
		require.NoError(t, err)
		require.Len(t, raw, 32)
		sum := sha256.Sum256([]byte(secret))
		require.Equal(t, sum[:], hash)
		require.Equal(t, hash, auth.HashAPIKey(secret))
		require.False(t, seen[secret])
		seen[secret] = true
	}
	for _, bad := range []string{"", "tq_", "tq_short", "xx_" + strings.Repeat("a", 43), "tq_" + strings.Repeat("a", 42) + "=", "tq_" + strings.Repeat("a", 44), "tq_" + strings.Repeat("a", 42) + "+"} {
		require.False(t, auth.WellFormedAPIKey(bad), bad)
	}
}

func TestKeysCreateStoresOnlyHash(t *testing.T) {
	t.Parallel()
	b := setupKeys(t)
	ctx := context.Background()
	exp := b.clock.Now().Add(24 * time.Hour)
	k, secret, err := b.keys.Create(ctx, "  ci runner ", auth.RoleUser, &exp)
	require.NoError(t, err)
	require.True(t, auth.WellFormedAPIKey(secret))
	require.NotEmpty(t, k.ID)
	require.Equal(t, "ci runner", k.Name)
	require.Equal(t, auth.RoleUser, k.Role)
	require.Nil(t, k.Hash, "the returned key carries no hash")
	require.Equal(t, b.clock.Now(), k.Created)
	require.Equal(t, exp, *k.ExpiresAt)

	stored, err := b.store.GetAPIKey(ctx, k.ID)
	require.NoError(t, err)
	require.Equal(t, auth.HashAPIKey(secret), stored.Hash)
	require.NotContains(t, fmt.Sprintf("%+v", *stored), secret[3:], "the secret is not stored")

	list, err := b.keys.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, k.ID, list[0].ID)
	require.Nil(t, list[0].Hash)

	now := b.clock.Now()
	_, _, err = b.keys.Create(ctx, "", "root", &now)
	require.ErrorIs(t, err, taskq.ErrValidation)
	var fields []string
	for _, d := range taskq.AsError(err).Details {
		fields = append(fields, d.Field)
	}
	require.Equal(t, []string{"name", "role", "expires_at"}, fields)
	for _, name := range []string{strings.Repeat("n", auth.MaxKeyNameLen+1), "bad\x00name", "\xff"} {
		_, _, err = b.keys.Create(ctx, name, auth.RoleUser, nil)
		require.ErrorIs(t, err, taskq.ErrValidation, "%q", name)
	}
	_, _, err = b.keys.Create(ctx, strings.Repeat("ü", auth.MaxKeyNameLen), auth.RoleAdmin, nil)
	require.NoError(t, err)
}

func TestKeysAuthenticate(t *testing.T) {
	t.Parallel()
	b := setupKeys(t)
	ctx := context.Background()
	k, secret, err := b.keys.Create(ctx, "app", auth.RoleUser, nil)
	require.NoError(t, err)

	p, err := b.authn.AuthenticateAPIKey(ctx, secret)
	require.NoError(t, err)
	require.Equal(t, auth.Principal{ID: k.ID, Role: auth.RoleUser, KeyID: k.ID}, p)
	require.True(t, p.CanAccessTask(k.ID))
	require.False(t, p.CanAdmin())

	p, err = b.authn.AuthenticateAPIKey(ctx, testAdminKey)
	require.NoError(t, err)
	require.Equal(t, auth.Principal{ID: "admin", Role: auth.RoleAdmin}, p)

	other, _ := auth.GenerateAPIKey()
	_, err = b.authn.AuthenticateAPIKey(ctx, other)
	requireReason(t, err, auth.ReasonUnknownKey)
	_, err = b.authn.AuthenticateAPIKey(ctx, secret[:len(secret)-1]+"A")
	if secret[len(secret)-1] == 'A' {
		_, err = b.authn.AuthenticateAPIKey(ctx, secret[:len(secret)-1]+"B")
	}
	requireReason(t, err, auth.ReasonUnknownKey)
	for _, bad := range []string{"", "tq_x", testAdminKey + "x", strings.ToUpper(secret)} {
		_, err = b.authn.AuthenticateAPIKey(ctx, bad)
		requireReason(t, err, auth.ReasonMalformed)
	}
}

func TestKeysLastUsedThrottled(t *testing.T) {
	t.Parallel()
	b := setupKeys(t)
	ctx := context.Background()
	k, secret, err := b.keys.Create(ctx, "app", auth.RoleUser, nil)
	require.NoError(t, err)
	lastUsed := func() *time.Time {
		s, err := b.store.GetAPIKey(ctx, k.ID)
		require.NoError(t, err)
		return s.LastUsed
	}
	require.Nil(t, lastUsed())

	t0 := b.clock.Now()
	_, err = b.keys.Authenticate(ctx, secret)
	require.NoError(t, err)
	require.Equal(t, t0, *lastUsed())

	b.clock.Advance(30 * time.Second)
	_, err = b.keys.Authenticate(ctx, secret)
	require.NoError(t, err)
	require.Equal(t, t0, *lastUsed(), "written at most once per minute")

	b.clock.Advance(31 * time.Second)
	tok, _, _, err := b.authn.ExchangeAPIKey(ctx, secret)
	require.NoError(t, err)
	require.Equal(t, b.clock.Now(), *lastUsed())

	b.clock.Advance(2 * time.Minute)
	_, err = b.authn.AuthenticateBearer(ctx, tok)
	require.NoError(t, err)
	require.Equal(t, b.clock.Now(), *lastUsed(), "a JWT use is a use of its key")

	// Concurrent uses are safe and write once.
	b.clock.Advance(2 * time.Minute)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			_, err := b.keys.Authenticate(ctx, secret)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Equal(t, b.clock.Now(), *lastUsed())
}

func TestRevokeStopsKeyAndTokensAtOnce(t *testing.T) {
	t.Parallel()
	b := setupKeys(t)
	ctx := context.Background()
	k, secret, err := b.keys.Create(ctx, "app", auth.RoleUser, nil)
	require.NoError(t, err)
	tok, exp, p, err := b.authn.ExchangeAPIKey(ctx, secret)
	require.NoError(t, err)
	require.Equal(t, auth.DefaultTokenTTL, exp)
	require.Equal(t, k.ID, p.ID)
	p, err = b.authn.AuthenticateBearer(ctx, tok)
	require.NoError(t, err)
	require.Equal(t, auth.Principal{ID: k.ID, Role: auth.RoleUser, KeyID: k.ID}, p)

	require.NoError(t, b.keys.Revoke(ctx, k.ID))

	_, err = b.authn.AuthenticateAPIKey(ctx, secret)
	requireReason(t, err, auth.ReasonRevoked)
	_, err = b.authn.AuthenticateBearer(ctx, tok)
	requireReason(t, err, auth.ReasonRevoked)
	_, _, _, err = b.authn.ExchangeAPIKey(ctx, secret)
	requireReason(t, err, auth.ReasonRevoked)
	// The signature alone is still fine: the key store is what stops it.
	_, err = b.ver.Verify(tok)
	require.NoError(t, err)

	list, err := b.keys.List(ctx)
	require.NoError(t, err)
	require.NotNil(t, list[0].RevokedAt)
	require.ErrorIs(t, b.keys.Revoke(ctx, "no-such-key"), taskq.ErrNotFound)

	// A token for a key that never existed.
	ghost, _, err := b.iss.Issue("ghost", auth.RoleUser)
	require.NoError(t, err)
	_, err = b.authn.AuthenticateBearer(ctx, ghost)
	requireReason(t, err, auth.ReasonUnknownKey)
}

func TestKeyExpiry(t *testing.T) {
	t.Parallel()
	b := setupKeys(t)
	ctx := context.Background()
	exp := b.clock.Now().Add(time.Hour)
	_, secret, err := b.keys.Create(ctx, "app", auth.RoleAdmin, &exp)
	require.NoError(t, err)

	b.clock.Advance(59 * time.Minute)
	tok, _, _, err := b.authn.ExchangeAPIKey(ctx, secret)
	require.NoError(t, err)
	p, err := b.authn.AuthenticateAPIKey(ctx, secret)
	require.NoError(t, err)
	require.True(t, p.CanAdmin())

	b.clock.Advance(time.Minute)
	_, err = b.authn.AuthenticateAPIKey(ctx, secret)
	requireReason(t, err, auth.ReasonKeyExpired)
	_, err = b.ver.Verify(tok)
	require.NoError(t, err, "the token itself is still within its TTL")
	_, err = b.authn.AuthenticateBearer(ctx, tok)
	requireReason(t, err, auth.ReasonKeyExpired)
}

func TestBearerRoleMustMatchKey(t *testing.T) {
	t.Parallel()
	b := setupKeys(t)
	ctx := context.Background()
	k, _, err := b.keys.Create(ctx, "app", auth.RoleUser, nil)
	require.NoError(t, err)
	// A validly signed token claiming admin for a user key is refused.
	tok, _, err := b.iss.Issue(k.ID, auth.RoleAdmin)
	require.NoError(t, err)
	_, err = b.authn.AuthenticateBearer(ctx, tok)
	requireReason(t, err, auth.ReasonInvalidClaims)
	tok, _, err = b.iss.Issue(auth.AdminPrincipalID, auth.RoleUser)
	require.NoError(t, err)
	_, err = b.authn.AuthenticateBearer(ctx, tok)
	requireReason(t, err, auth.ReasonInvalidClaims)
}

func TestAdminKey(t *testing.T) {
	t.Parallel()
	b := setupKeys(t)
	ctx := context.Background()
	require.True(t, b.keys.HasAdminKey())
	require.NotContains(t, fmt.Sprintf("%+v %#v", b.keys, b.keys), testAdminKey, "only a hash is kept")

	tok, _, p, err := b.authn.ExchangeAPIKey(ctx, testAdminKey)
	require.NoError(t, err)
	require.Equal(t, auth.Principal{ID: "admin", Role: auth.RoleAdmin}, p)
	p, err = b.authn.AuthenticateBearer(ctx, tok)
	require.NoError(t, err)
	require.Equal(t, auth.Principal{ID: "admin", Role: auth.RoleAdmin}, p)

	// Once the server runs without the admin key, admin tokens stop.
	noAdmin, err := auth.NewKeys(b.store, auth.KeysConfig{Now: b.clock.Now})
	require.NoError(t, err)
	require.False(t, noAdmin.HasAdminKey())
	authn, err := auth.NewAuthenticator(noAdmin, b.ver, nil)
	require.NoError(t, err)
	_, err = authn.AuthenticateBearer(ctx, tok)
	requireReason(t, err, auth.ReasonUnknownKey)
	_, err = authn.AuthenticateAPIKey(ctx, testAdminKey)
	requireReason(t, err, auth.ReasonMalformed)
	_, _, _, err = authn.ExchangeAPIKey(ctx, testAdminKey)
	require.ErrorIs(t, err, taskq.ErrUnavailable, "no issuer configured")

	_, err = auth.NewKeys(b.store, auth.KeysConfig{AdminKey: "short"})
	require.Error(t, err)
	_, err = auth.NewKeys(nil, auth.KeysConfig{})
	require.Error(t, err)
	_, err = auth.NewAuthenticator(nil, nil, nil)
	require.Error(t, err)
	noBearer, err := auth.NewAuthenticator(b.keys, nil, nil)
	require.NoError(t, err)
	_, err = noBearer.AuthenticateBearer(ctx, tok)
	require.ErrorIs(t, err, taskq.ErrUnauthorized)
}

func TestAuthenticateRequest(t *testing.T) {
	t.Parallel()
	b := setupKeys(t)
	ctx := context.Background()
	k, secret, err := b.keys.Create(ctx, "app", auth.RoleUser, nil)
	require.NoError(t, err)
	tok, _, _, err := b.authn.ExchangeAPIKey(ctx, secret)
	require.NoError(t, err)

	hdr := func(kv ...string) map[string][]string {
		h := map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			h[kv[i]] = append(h[kv[i]], kv[i+1])
		}
		return h
	}
	for _, h := range []map[string][]string{
		hdr("X-Api-Key", secret),
		hdr("Authorization", "Bearer "+tok),
		hdr("Authorization", "bearer  "+tok+" "),
	} {
		p, err := b.authn.AuthenticateRequest(ctx, h)
		require.NoError(t, err, "%v", h)
		require.Equal(t, k.ID, p.ID)
	}

	_, err = b.authn.AuthenticateRequest(ctx, hdr())
	requireReason(t, err, auth.ReasonNoCredentials)
	require.False(t, auth.CountsAsFailure(err))
	for _, h := range []map[string][]string{
		hdr("X-Api-Key", secret, "Authorization", "Bearer "+tok),
		hdr("X-Api-Key", secret, "X-Api-Key", secret),
		hdr("Authorization", "Basic dXNlcjpwYXNz"),
		hdr("Authorization", "Bearer"),
	} {
		_, err = b.authn.AuthenticateRequest(ctx, h)
		requireReason(t, err, auth.ReasonMalformed)
		require.True(t, auth.CountsAsFailure(err))
	}
	_, err = b.authn.AuthenticateRequest(ctx, hdr("Authorization", "Bearer x.y.z"))
	requireReason(t, err, auth.ReasonMalformed)
}

func TestStoreOutageIsNotAnAuthFailure(t *testing.T) {
	t.Parallel()
	b := setupKeys(t)
	ctx := context.Background()
	k, secret, err := b.keys.Create(ctx, "app", auth.RoleUser, nil)
	require.NoError(t, err)
	tok, _, err := b.iss.Issue(k.ID, auth.RoleUser)
	require.NoError(t, err)
	require.NoError(t, b.store.Close())

	_, err = b.authn.AuthenticateAPIKey(ctx, secret)
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	require.False(t, auth.CountsAsFailure(err))
	_, err = b.authn.AuthenticateBearer(ctx, tok)
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	require.Equal(t, auth.Reason(""), auth.ReasonOf(err))
	// The bootstrap admin needs no store.
	_, err = b.authn.AuthenticateAPIKey(ctx, testAdminKey)
	require.NoError(t, err)
}

// Tokens of the bootstrap admin key carry a fingerprint of the key: when
// the key changes they stop working; with the same key (a restart, another
// replica) they keep working; a token for "admin" signed without the
// fingerprint (or with another) is refused.
func TestAdminTokensBoundToKey(t *testing.T) {
	t.Parallel()
	b := setupKeys(t)
	ctx := context.Background()
	tok, _, _, err := b.authn.ExchangeAPIKey(ctx, testAdminKey)
	require.NoError(t, err)
	_, err = b.authn.AuthenticateBearer(ctx, tok)
	require.NoError(t, err)
	require.NotContains(t, tok, testAdminKey)

	authnWith := func(adminKey string) *auth.Authenticator {
		keys, err := auth.NewKeys(b.store, auth.KeysConfig{AdminKey: adminKey, Now: b.clock.Now})
		require.NoError(t, err)
		a, err := auth.NewAuthenticator(keys, b.ver, b.iss)
		require.NoError(t, err)
		return a
	}
	same := authnWith(testAdminKey)
	p, err := same.AuthenticateBearer(ctx, tok)
	require.NoError(t, err, "the same key on another instance accepts the token")
	require.Equal(t, auth.Principal{ID: "admin", Role: auth.RoleAdmin}, p)

	for _, other := range []string{"another-admin-key-0123456789", testAdminKey + "x", "test-admin-key-0123456788"} {
		_, err = authnWith(other).AuthenticateBearer(ctx, tok)
		requireReason(t, err, auth.ReasonUnknownKey)
	}
	// The new key's tokens work there, not on the old key's instance.
	changed := authnWith("another-admin-key-0123456789")
	tok2, _, _, err := changed.ExchangeAPIKey(ctx, "another-admin-key-0123456789")
	require.NoError(t, err)
	_, err = changed.AuthenticateBearer(ctx, tok2)
	require.NoError(t, err)
	_, err = b.authn.AuthenticateBearer(ctx, tok2)
	requireReason(t, err, auth.ReasonUnknownKey)

	// Signed by the right key but without the fingerprint: refused.
	bare, _, err := b.iss.Issue(auth.AdminPrincipalID, auth.RoleAdmin)
	require.NoError(t, err)
	_, err = b.authn.AuthenticateBearer(ctx, bare)
	requireReason(t, err, auth.ReasonUnknownKey)
	// Tokens of stored keys carry no fingerprint and are unaffected.
	k, secret, err := b.keys.Create(ctx, "app", auth.RoleUser, nil)
	require.NoError(t, err)
	ut, _, _, err := b.authn.ExchangeAPIKey(ctx, secret)
	require.NoError(t, err)
	p, err = authnWith("another-admin-key-0123456789").AuthenticateBearer(ctx, ut)
	require.NoError(t, err)
	require.Equal(t, k.ID, p.ID)
}
