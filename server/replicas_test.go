package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/postgres"
)

// TestReplicas runs two servers against one Redis and one PostgreSQL, as
// deployed replicas would: keys, tokens, revocations, rate limits, tasks
// and cancellations are shared.
func TestReplicas(t *testing.T) {
	t.Parallel()
	first := backendNamed(t, deployRedisPostgres).deps(t)
	rq := first.Queue.(*redisqueue.Queue)
	pg := first.Store.(*postgres.Store)
	// The second replica has its own Queue, Store, worker, limiter fallback,
	// IP guard and breakers over the same servers (sharing the connection
	// pools changes nothing: all shared state lives in Redis and PostgreSQL).
	q2, err := redisqueue.New(rq.Client(), redisqueue.Config{KeyPrefix: keyPrefixOf(t, first)})
	require.NoError(t, err)
	s2, err := postgres.New(context.Background(), pg.Pool(), postgres.Config{SkipMigrations: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s2.Close(); _ = q2.Close() })
	second := Deps{Queue: q2, Store: s2, RateLimitPrefix: first.RateLimitPrefix}

	cfg := Config{JWTSecret: strings.Repeat("r", 32), RateLimit: 0.001, RateBurst: 6}
	a := setup(t, cfg, first, true)
	b := setup(t, cfg, second, true)

	// A key created on A works on B, and so does a token issued by A.
	_, key := a.newKeyDirect(t, "shared")
	w := a.do(req{method: "POST", path: "/api/auth/token", body: map[string]any{"api_key": key}})
	require.Equal(t, http.StatusOK, w.Code)
	tok := decode[map[string]any](t, w)["access_token"].(string)
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", key: key}).Code)
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", bearer: tok}).Code)

	// A task created on A is seen, run and cancellable on B.
	tk := a.createTask(key, map[string]any{"type": "sleep", "metadata": map[string]any{"duration_ms": 60000}})
	b.waitStatus(tk.ID, taskq.StatusRunning)
	w = b.do(req{method: "DELETE", path: "/api/tasks/" + tk.ID, bearer: tok})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	a.waitStatus(tk.ID, taskq.StatusCancelled)

	// The per-principal limit is shared: 6 requests in all, then 429 on
	// either replica (4 were spent above).
	require.Equal(t, http.StatusOK, a.do(req{method: "GET", path: "/api/tasks", key: key}).Code)
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", key: key}).Code)
	requireError(t, a.do(req{method: "GET", path: "/api/tasks", key: key}), 429, taskq.CodeRateLimitExceeded)
	requireError(t, b.do(req{method: "GET", path: "/api/tasks", key: key}), 429, taskq.CodeRateLimitExceeded)

	// Revoking on B stops the key and its token on A at once.
	k2id, key2 := a.newKeyDirect(t, "second")
	w = a.do(req{method: "POST", path: "/api/auth/token", body: map[string]any{"api_key": key2}})
	tok2 := decode[map[string]any](t, w)["access_token"].(string)
	require.Equal(t, http.StatusOK, a.do(req{method: "GET", path: "/api/tasks", bearer: tok2}).Code)
	require.Equal(t, http.StatusNoContent, b.admin(req{method: "DELETE", path: "/api/keys/" + k2id}).Code)
	requireError(t, a.do(req{method: "GET", path: "/api/tasks", bearer: tok2}), 401, taskq.CodeUnauthorized)
	requireError(t, a.do(req{method: "GET", path: "/api/tasks", key: key2}), 401, taskq.CodeUnauthorized)
}

// keyPrefixOf recovers the Redis key prefix backends chose for deps.
func keyPrefixOf(t *testing.T, d Deps) string {
	t.Helper()
	p, ok := strings.CutSuffix(d.RateLimitPrefix, ":rl:")
	require.True(t, ok)
	return p
}
