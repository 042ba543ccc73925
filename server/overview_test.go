package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/server/ui"
)

// queuesBody is the body of GET /api/queues.
type queuesBody struct {
	Queues []queueInfo `json:"queues"`
}

// TestQueuesAndStats: GET /api/queues counts each configured queue's
// entries (a scheduled task is pending, a running one is running); GET
// /api/stats reports the DLQ size and this replica's throughput and
// error rate. Both are admin-only and take no query parameters.
func TestQueuesAndStats(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{Queues: []string{"default", "bulk"}}, be.deps(t), true)
			_, userKey := b.newKey("reader", "user")

			got := decode[queuesBody](t, b.admin(req{method: "GET", path: "/api/queues"}))
			require.Equal(t, []queueInfo{{Name: "default"}, {Name: "bulk"}}, withoutTasks(got.Queues))

			later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			b.createTask(testAdminKey, map[string]any{"type": "noop", "queue": "bulk", "run_at": later})
			b.createTask(testAdminKey, map[string]any{"type": "noop", "queue": "bulk", "run_at": later})
			long := b.createTask(testAdminKey, map[string]any{"type": "sleep", "metadata": map[string]any{"duration_ms": 60000}})
			b.waitStatus(long.ID, taskq.StatusRunning)
			dead := b.createTask(testAdminKey, map[string]any{"type": "fail", "metadata": map[string]any{"retryable": false}})
			b.waitStatus(dead.ID, taskq.StatusDeadLetter)
			done := b.createTask(testAdminKey, map[string]any{"type": "noop"})
			b.waitStatus(done.ID, taskq.StatusCompleted)

			// A finished task's record is written before its lease is
			// acknowledged: wait for the queue to catch up.
			want := []queueInfo{
				{Name: "default", Size: 1, Running: 1},
				{Name: "bulk", Size: 2, Pending: 2, Scheduled: 2},
			}
			waitFor(t, 10*time.Second, func() bool {
				got = decode[queuesBody](t, b.admin(req{method: "GET", path: "/api/queues"}))
				return reflect.DeepEqual(want, withoutTasks(got.Queues))
			}, func() string { return fmt.Sprintf("queues %+v, want %+v", got.Queues, want) })

			w := b.admin(req{method: "GET", path: "/api/stats"})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			st := decode[statsBody](t, w)
			require.Equal(t, 1, st.DLQSize)
			require.Equal(t, 60, st.WindowSeconds)
			// Two attempts finished (the dead letter and the noop), one failed.
			require.InDelta(t, 2, st.ProcessedPerMinute, 1e-9)
			require.InDelta(t, 1, st.FailedPerMinute, 1e-9)
			require.InDelta(t, 0.5, st.ErrorRate, 1e-9)

			for _, path := range []string{"/api/queues", "/api/stats"} {
				requireError(t, b.do(req{method: "GET", path: path, key: userKey}), http.StatusForbidden, taskq.CodeForbidden)
				requireError(t, b.do(req{method: "GET", path: path}), http.StatusUnauthorized, taskq.CodeUnauthorized)
				requireError(t, b.admin(req{method: "GET", path: path + "?queue=default"}), http.StatusBadRequest, taskq.CodeInvalidInput)
			}
			w = b.admin(req{method: "DELETE", path: "/api/tasks/" + long.ID})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		})
	}
}

// TestTaskListQueueAndOwner: GET /api/tasks filters by queue and, for
// admins, by owner; a user may name only themselves.
func TestTaskListQueueAndOwner(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{Queues: []string{"default", "bulk"}}, be.deps(t), false)
			userID, userKey := b.newKey("u", "user")
			a1 := b.createTask(testAdminKey, map[string]any{"type": "noop"})
			a2 := b.createTask(testAdminKey, map[string]any{"type": "noop", "queue": "bulk"})
			u1 := b.createTask(userKey, map[string]any{"type": "noop", "queue": "bulk"})

			ids := func(w *httptest.ResponseRecorder) []string {
				t.Helper()
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				var out []string
				for _, tk := range decode[listBody](t, w).Tasks {
					out = append(out, tk.ID)
				}
				return out
			}
			require.Equal(t, []string{u1.ID, a2.ID}, ids(b.admin(req{method: "GET", path: "/api/tasks?queue=bulk"})))
			require.Equal(t, []string{a1.ID}, ids(b.admin(req{method: "GET", path: "/api/tasks?queue=default"})))
			require.Equal(t, []string{u1.ID}, ids(b.admin(req{method: "GET", path: "/api/tasks?owner=" + userID})))
			require.Equal(t, []string{a2.ID}, ids(b.admin(req{method: "GET", path: "/api/tasks?owner=admin&queue=bulk"})))
			require.Equal(t, []string{u1.ID}, ids(b.do(req{method: "GET", path: "/api/tasks?queue=bulk", key: userKey})))
			require.Equal(t, []string{u1.ID}, ids(b.do(req{method: "GET", path: "/api/tasks?owner=" + userID, key: userKey})))
			requireError(t, b.do(req{method: "GET", path: "/api/tasks?owner=admin", key: userKey}), http.StatusForbidden, taskq.CodeForbidden)
			requireError(t, b.admin(req{method: "GET", path: "/api/tasks?queue=a%20b"}), http.StatusBadRequest, taskq.CodeInvalidInput)
			requireError(t, b.admin(req{method: "GET", path: "/api/tasks?owner=" + strings.Repeat("x", 129)}), http.StatusBadRequest, taskq.CodeInvalidInput)
		})
	}
}

// serveRaw serves a request outside the OpenAPI check (the console is
// no API route).
func serveRaw(b *bundle, method, path string, header map[string]string) *httptest.ResponseRecorder {
	hr := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	b.s.Handler().ServeHTTP(w, hr)
	return w
}

// TestConsoleServed: /ui/ serves the embedded console with its own
// Content-Security-Policy and the other security headers; /ui redirects;
// an unknown file is a JSON 404; an ETag revalidates.
func TestConsoleServed(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, Deps{}, false)
	w := serveRaw(b, "GET", "/ui/", nil)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	require.Equal(t, ui.ContentSecurityPolicy, w.Header().Get("Content-Security-Policy"))
	require.Contains(t, ui.ContentSecurityPolicy, "default-src 'self'")
	require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", w.Header().Get("X-Frame-Options"))
	require.Equal(t, "no-referrer", w.Header().Get("Referrer-Policy"))
	require.NotEmpty(t, w.Header().Get("RateLimit-Limit"))
	require.Contains(t, w.Body.String(), `<script type="module" src="app.js"></script>`)

	js := serveRaw(b, "GET", "/ui/app.js", nil)
	require.Equal(t, http.StatusOK, js.Code)
	require.Equal(t, "text/javascript; charset=utf-8", js.Header().Get("Content-Type"))
	etag := js.Header().Get("ETag")
	require.NotEmpty(t, etag)
	require.Equal(t, http.StatusNotModified, serveRaw(b, "GET", "/ui/app.js", map[string]string{"If-None-Match": etag}).Code)

	redirect := serveRaw(b, "GET", "/ui", nil)
	require.Equal(t, http.StatusMovedPermanently, redirect.Code)
	require.Equal(t, "/ui/", redirect.Header().Get("Location"))

	missing := serveRaw(b, "GET", "/ui/missing.js", nil)
	requireError(t, missing, http.StatusNotFound, taskq.CodeNotFound)
	require.Equal(t, ui.ContentSecurityPolicy, missing.Header().Get("Content-Security-Policy"))
	post := serveRaw(b, "POST", "/ui/", nil)
	require.Equal(t, http.StatusMethodNotAllowed, post.Code)
	require.Contains(t, b.log.String(), `"route":"GET /ui/"`)
}
