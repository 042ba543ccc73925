package server

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{JWTSecret: strings.Repeat("s", 32)}, be.deps(t), false)

			// No credentials, a wrong key, a malformed token: 401 with
			// WWW-Authenticate.
			for _, r := range []req{
				{method: "GET", path: "/api/tasks"},
				{method: "GET", path: "/api/tasks", key: "tq_" + strings.Repeat("A", 43)},
				{method: "GET", path: "/api/tasks", key: "wrong"},
				{method: "GET", path: "/api/tasks", bearer: "not.a.jwt"},
				{method: "GET", path: "/api/tasks", header: map[string]string{"Authorization": "Basic YTpi"}},
				{method: "GET", path: "/api/tasks", key: testAdminKey, bearer: "x"}, // two credentials
			} {
				w := b.do(r)
				requireError(t, w, http.StatusUnauthorized, taskq.CodeUnauthorized)
				require.Equal(t, "Bearer", w.Header().Get("WWW-Authenticate"))
			}

			// The admin key works; keys are created, listed (never the
			// secret) and exchanged for tokens.
			require.Equal(t, http.StatusOK, b.admin(req{method: "GET", path: "/api/tasks"}).Code)
			w := b.admin(req{method: "POST", path: "/api/keys", body: map[string]any{"name": "ci", "role": "user", "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}})
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			created := decode[map[string]any](t, w)
			for _, f := range []string{"id", "name", "role", "key", "created", "expires_at"} {
				require.Contains(t, created, f)
			}
			keyID, secret := created["id"].(string), created["key"].(string)
			require.True(t, strings.HasPrefix(secret, "tq_"))

			w = b.admin(req{method: "GET", path: "/api/keys"})
			require.Equal(t, http.StatusOK, w.Code)
			require.NotContains(t, w.Body.String(), secret)
			require.NotContains(t, w.Body.String(), "hash")
			keys := decode[struct {
				Keys []map[string]any `json:"keys"`
			}](t, w).Keys
			require.Len(t, keys, 1)
			for _, f := range []string{"id", "name", "role", "created", "expires_at", "last_used"} {
				require.Contains(t, keys[0], f)
			}

			w = b.do(req{method: "POST", path: "/api/auth/token", body: map[string]any{"api_key": secret}})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			tok := decode[map[string]any](t, w)
			require.Equal(t, "Bearer", tok["token_type"])
			require.EqualValues(t, 900, tok["expires_in"])
			jwt := tok["access_token"].(string)

			require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", key: secret}).Code)
			require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", bearer: jwt}).Code)
			requireError(t, b.do(req{method: "GET", path: "/api/keys", bearer: jwt}), 403, taskq.CodeForbidden)

			// An admin token is an admin.
			w = b.do(req{method: "POST", path: "/api/auth/token", body: map[string]any{"api_key": testAdminKey}})
			require.Equal(t, http.StatusOK, w.Code)
			adminJWT := decode[map[string]any](t, w)["access_token"].(string)
			require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/keys", bearer: adminJWT}).Code)

			// Revocation stops the key and its tokens at once.
			w = b.admin(req{method: "DELETE", path: "/api/keys/" + keyID})
			require.Equal(t, http.StatusNoContent, w.Code)
			require.Empty(t, w.Body.String())
			requireError(t, b.do(req{method: "GET", path: "/api/tasks", key: secret}), 401, taskq.CodeUnauthorized)
			requireError(t, b.do(req{method: "GET", path: "/api/tasks", bearer: jwt}), 401, taskq.CodeUnauthorized)
			requireError(t, b.do(req{method: "POST", path: "/api/auth/token", body: map[string]any{"api_key": secret}}), 401, taskq.CodeUnauthorized)
			requireError(t, b.admin(req{method: "DELETE", path: "/api/keys/01900000-0000-7000-8000-000000000000"}), 404, taskq.CodeNotFound)

			// Token exchange and key creation validate their input.
			requireError(t, b.do(req{method: "POST", path: "/api/auth/token", body: `{}`}), 422, taskq.CodeValidation)
			e := requireError(t, b.admin(req{method: "POST", path: "/api/keys", body: `{"name":"","role":"root"}`}), 422, taskq.CodeValidation)
			require.Len(t, e.Error.Details, 2)
			requireError(t, b.admin(req{method: "POST", path: "/api/keys", body: `{"name":"x","role":"user","expires_at":"2001-01-01T00:00:00Z"}`}), 422, taskq.CodeValidation)
			requireError(t, b.admin(req{method: "POST", path: "/api/keys", body: `{"name":"x","role":"user","expires_at":"soon"}`}), 422, taskq.CodeValidation)
		})
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{RateLimit: 0.001, RateBurst: 3, AuthRateLimit: 2}, Deps{}, false)
	for i := range 3 {
		w := b.admin(req{method: "GET", path: "/api/tasks"})
		require.Equal(t, http.StatusOK, w.Code)
		require.Equal(t, "3", w.Header().Get("RateLimit-Limit"))
		require.Equal(t, []string{"2", "1", "0"}[i], w.Header().Get("RateLimit-Remaining"))
		require.NotEmpty(t, w.Header().Get("RateLimit-Reset"))
	}
	w := b.admin(req{method: "GET", path: "/api/tasks"})
	requireError(t, w, http.StatusTooManyRequests, taskq.CodeRateLimitExceeded)
	require.NotEmpty(t, w.Header().Get("Retry-After"))
	require.Equal(t, "0", w.Header().Get("RateLimit-Remaining"))

	// Per principal: another principal, or an unauthenticated IP, is not
	// affected; unauthenticated calls are limited per IP.
	_, other := b.newKeyDirect(t, "other")
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", key: other}).Code)
	for range 3 {
		w := b.do(req{method: "GET", path: "/api/tasks", ip: "198.51.100.7"})
		require.Equal(t, http.StatusUnauthorized, w.Code)
		require.NotEmpty(t, w.Header().Get("RateLimit-Limit"), "401s carry RateLimit-*")
	}
	requireError(t, b.do(req{method: "GET", path: "/api/tasks", ip: "198.51.100.7"}), 429, taskq.CodeRateLimitExceeded)
	// Unknown /api/ routes are limited per IP too, and carry the headers.
	w = b.do(req{method: "GET", path: "/api/nope", ip: "198.51.100.8"})
	requireError(t, w, 404, taskq.CodeNotFound)
	require.Equal(t, "3", w.Header().Get("RateLimit-Limit"))

	// The token endpoint has its own stricter limit per IP (2 per minute).
	for range 2 {
		w := b.do(req{method: "POST", path: "/api/auth/token", ip: "198.51.100.9", body: map[string]any{"api_key": testAdminKey}})
		require.Equal(t, http.StatusOK, w.Code)
		require.Equal(t, "2", w.Header().Get("RateLimit-Limit"))
	}
	w = b.do(req{method: "POST", path: "/api/auth/token", ip: "198.51.100.9", body: map[string]any{"api_key": testAdminKey}})
	requireError(t, w, 429, taskq.CodeRateLimitExceeded)
	require.NotEmpty(t, w.Header().Get("Retry-After"))

	// Health and metrics are limited per client too, in a bucket of their
	// own.
	for range 3 {
		w = b.do(req{method: "GET", path: "/health", ip: "198.51.100.7"})
		require.Equal(t, http.StatusOK, w.Code)
		require.Equal(t, "3", w.Header().Get("RateLimit-Limit"))
	}
	requireError(t, b.do(req{method: "GET", path: "/metrics", ip: "198.51.100.7"}), 429, taskq.CodeRateLimitExceeded)
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/health", ip: "198.51.100.10"}).Code)
}

// newKeyDirect creates a user key through the library (the admin may be
// rate limited already).
func (b *bundle) newKeyDirect(t *testing.T, name string) (string, string) {
	t.Helper()
	k, secret, err := b.s.keys.Create(t.Context(), name, auth.RoleUser, nil)
	require.NoError(t, err)
	return k.ID, secret
}

func TestIPBlock(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{AuthFailLimit: 3, AuthBlock: time.Hour}, Deps{}, false)
	const ip = "192.0.2.10"
	for range 3 {
		requireError(t, b.do(req{method: "GET", path: "/api/tasks", ip: ip, key: "wrong-key"}), 401, taskq.CodeUnauthorized)
	}
	// Blocked: even valid credentials get 429 with Retry-After.
	w := b.do(req{method: "GET", path: "/api/tasks", ip: ip, key: testAdminKey})
	requireError(t, w, http.StatusTooManyRequests, taskq.CodeRateLimitExceeded)
	retry := w.Header().Get("Retry-After")
	require.NotEmpty(t, retry)
	require.Greater(t, len(retry), 2, "about an hour in seconds")
	require.NotEmpty(t, w.Header().Get("RateLimit-Limit"))
	// Another address is not blocked; public routes stay reachable.
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", ip: "192.0.2.11", key: testAdminKey}).Code)
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/health", ip: ip}).Code)

	// Requests without credentials do not count.
	for range 5 {
		requireError(t, b.do(req{method: "GET", path: "/api/tasks", ip: "192.0.2.12"}), 401, taskq.CodeUnauthorized)
	}
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", ip: "192.0.2.12", key: testAdminKey}).Code)

	// Wrong keys at the token endpoint count too.
	for range 3 {
		requireError(t, b.do(req{method: "POST", path: "/api/auth/token", ip: "192.0.2.13", body: `{"api_key":"nope"}`}), 401, taskq.CodeUnauthorized)
	}
	requireError(t, b.do(req{method: "GET", path: "/api/tasks", ip: "192.0.2.13", key: testAdminKey}), 429, taskq.CodeRateLimitExceeded)
	require.Contains(t, b.log.String(), "client IP blocked")
}

func TestClientIPAndDenyList(t *testing.T) {
	t.Parallel()
	deny, err := netip.ParsePrefix("203.0.113.0/24")
	require.NoError(t, err)
	proxy, err := netip.ParsePrefix("10.0.0.0/8")
	require.NoError(t, err)
	b := setup(t, Config{DenyCIDRs: []netip.Prefix{deny}, TrustedProxies: []netip.Prefix{proxy}, AuthFailLimit: 2}, Deps{}, false)

	for _, path := range []string{"/api/tasks", "/health", "/metrics"} {
		w := b.do(req{method: "GET", path: path, ip: "203.0.113.5", key: testAdminKey})
		requireError(t, w, http.StatusForbidden, taskq.CodeForbidden)
	}
	require.NotEmpty(t, b.do(req{method: "GET", path: "/api/tasks", ip: "203.0.113.5"}).Header().Get("RateLimit-Limit"))
	// Through a trusted proxy the forwarded address is the client.
	w := b.do(req{method: "GET", path: "/api/tasks", ip: "10.1.1.1", key: testAdminKey, header: map[string]string{"X-Forwarded-For": "203.0.113.9"}})
	requireError(t, w, http.StatusForbidden, taskq.CodeForbidden)
	// From an untrusted peer X-Forwarded-For is ignored.
	w = b.do(req{method: "GET", path: "/api/tasks", ip: "198.51.100.1", key: testAdminKey, header: map[string]string{"X-Forwarded-For": "203.0.113.9"}})
	require.Equal(t, http.StatusOK, w.Code)
	// Blocking follows the forwarded client, not the proxy.
	for range 2 {
		b.do(req{method: "GET", path: "/api/tasks", ip: "10.1.1.1", key: "bad", header: map[string]string{"X-Forwarded-For": "198.51.100.50"}})
	}
	requireError(t, b.do(req{method: "GET", path: "/api/tasks", ip: "10.1.1.1", key: testAdminKey, header: map[string]string{"X-Forwarded-For": "198.51.100.50"}}), 429, taskq.CodeRateLimitExceeded)
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", ip: "10.1.1.1", key: testAdminKey, header: map[string]string{"X-Forwarded-For": "198.51.100.51"}}).Code)
}
