package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
)

func TestHealthMemory(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, Deps{}, false)
	w := b.do(req{method: "GET", path: "/health"})
	require.Equal(t, http.StatusOK, w.Code)
	require.JSONEq(t, `{"status":"ok","deployment":"memory","components":{"redis":"not_configured","db":"not_configured"}}`, w.Body.String())
	for _, p := range []string{"/health/redis", "/health/db"} {
		w := b.do(req{method: "GET", path: p})
		require.Equal(t, http.StatusOK, w.Code)
		require.JSONEq(t, `{"status":"not_configured"}`, w.Body.String())
	}
}

func TestHealthRedisPostgres(t *testing.T) {
	t.Parallel()
	be := backendNamed(t, deployRedisPostgres)
	b := setup(t, Config{}, be.deps(t), false)
	w := b.do(req{method: "GET", path: "/health"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.JSONEq(t, `{"status":"ok","deployment":"redis+postgres","components":{"redis":"ok","db":"ok"}}`, w.Body.String())
	for _, p := range []string{"/health/redis", "/health/db"} {
		h := decode[map[string]any](t, b.do(req{method: "GET", path: p}))
		require.Equal(t, "ok", h["status"], p)
		require.IsType(t, float64(0), h["latency_ms"], p)
	}

	// A Redis of its own, stopped: /health/redis is down, /health degraded.
	r := testenv.StartRedis(t)
	q, err := redisqueue.NewFromURL(r.URL(), redisqueue.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = q.Close() })
	deps := be.deps(t)
	deps.Queue = q
	b2 := setup(t, Config{}, deps, false)
	require.Equal(t, http.StatusOK, b2.do(req{method: "GET", path: "/health/redis"}).Code)
	r.Kill(t)
	// The last ping answers for up to healthCacheTTL.
	waitFor(t, 5*time.Second, func() bool {
		w = b2.do(req{method: "GET", path: "/health/redis"})
		return w.Code != http.StatusOK
	}, func() string { return "/health/redis stayed ok" })
	require.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
	h := decode[map[string]any](t, w)
	require.Equal(t, "down", h["status"])
	require.NotEmpty(t, h["error"])
	require.False(t, strings.Contains(w.Body.String(), "127.0.0.1"), "no driver text: %s", w.Body.String())
	w = b2.do(req{method: "GET", path: "/health"})
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.JSONEq(t, `{"status":"degraded","deployment":"redis+postgres","components":{"redis":"down","db":"ok"}}`, w.Body.String())
	// Redis holds only dispatch state: with PostgreSQL up, the API keeps
	// working. A task created now is stored (the background push to Redis
	// fails, is tried again, and is then left to the worker's reconciler),
	// so it is 201; cancelling one is 200; rate limits fall back to this
	// process.
	pending := createPending(t, b2)
	w = b2.admin(req{method: "DELETE", path: "/api/tasks/" + pending})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	waitFor(t, 30*time.Second, func() bool { return strings.Contains(b2.log.String(), "tasks stored but not queued") },
		func() string { return "no warning of the failed push" })
}

// createPending stores a task scheduled later and returns its id.
func createPending(t *testing.T, b *bundle) string {
	t.Helper()
	w := b.admin(req{method: "POST", path: "/api/tasks", body: `{"type":"noop","run_at":"` + time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339) + `"}`})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	return decode[map[string]any](t, w)["id"].(string)
}
