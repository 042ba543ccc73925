package server

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/storage"
)

var securityHeaders = map[string]string{
	"X-Content-Type-Options":  "nosniff",
	"X-Frame-Options":         "DENY",
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
	"Referrer-Policy":         "no-referrer",
	"Cache-Control":           "no-store",
}

func TestRequestIDAndSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, Deps{}, false)
	generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, r := range []req{
		{method: "GET", path: "/health"},
		{method: "GET", path: "/metrics"},
		{method: "GET", path: "/api/tasks"},
		{method: "GET", path: "/api/tasks", key: testAdminKey},
		{method: "GET", path: "/nope"},
		{method: "PATCH", path: "/api/tasks"},
		{method: "POST", path: "/api/tasks", key: testAdminKey, body: "{"},
	} {
		w := b.do(r)
		for k, v := range securityHeaders {
			require.Equal(t, v, w.Header().Get(k), "%s %s: %s", r.method, r.path, k)
		}
		require.Empty(t, w.Header().Get("Strict-Transport-Security"), "no HSTS without TLS")
		require.Regexp(t, generated, w.Header().Get("X-Request-ID"))

		r.header = map[string]string{"X-Request-ID": "abc.DEF_123-x"}
		require.Equal(t, "abc.DEF_123-x", b.do(r).Header().Get("X-Request-ID"), "a valid id is echoed")
		for _, bad := range []string{strings.Repeat("a", 129), "a b", "<script>", "ü", "a/b"} {
			r.header = map[string]string{"X-Request-ID": bad}
			require.Regexp(t, generated, b.do(r).Header().Get("X-Request-ID"), "%q is replaced", bad)
		}
	}
	r := req{method: "GET", path: "/health", header: map[string]string{"X-Request-ID": strings.Repeat("a", 128)}}
	require.Equal(t, strings.Repeat("a", 128), b.do(r).Header().Get("X-Request-ID"))

	hr := httptest.NewRequest("GET", "/health", nil)
	hr.TLS = &tls.ConnectionState{}
	w := serve(b, hr)
	require.Contains(t, w.Header().Get("Strict-Transport-Security"), "max-age=")
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, Deps{}, false)
	for _, c := range []struct {
		method, path string
		allow        []string
	}{
		{"PUT", "/api/tasks", []string{"GET", "POST"}},
		{"POST", "/api/tasks/abc", []string{"GET", "DELETE"}},
		{"GET", "/api/dlq/abc/retry", []string{"POST"}},
		{"POST", "/health", []string{"GET"}},
		{"DELETE", "/api/keys", []string{"GET", "POST"}},
	} {
		w := b.admin(req{method: c.method, path: c.path})
		e := requireError(t, w, http.StatusMethodNotAllowed, taskq.CodeInvalidInput)
		require.Contains(t, e.Error.Message, c.method)
		for _, m := range c.allow {
			require.Contains(t, w.Header().Get("Allow"), m, "%s %s", c.method, c.path)
		}
	}
	for _, path := range []string{"/", "/api", "/api/", "/api/nope", "/api/tasks/a/b", "/healthz", "/metrics/x"} {
		requireError(t, b.admin(req{method: "GET", path: path}), http.StatusNotFound, taskq.CodeNotFound)
	}
	// Unknown routes are not authenticated first: 404 without credentials.
	requireError(t, b.do(req{method: "GET", path: "/api/nope"}), http.StatusNotFound, taskq.CodeNotFound)
}

// faultStore fails its task methods with err, or panics, on demand.
type faultStore struct {
	*storage.Memory
	err      error
	panicGet bool
}

func (f *faultStore) CreateTask(ctx context.Context, t *taskq.Task) (*taskq.Task, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.Memory.CreateTask(ctx, t)
}

func (f *faultStore) GetTask(ctx context.Context, id string) (*taskq.Task, error) {
	if f.panicGet {
		panic("storage exploded at /home/dev/taskq/storage/postgres/tasks.go:42")
	}
	if f.err != nil {
		return nil, f.err
	}
	return f.Memory.GetTask(ctx, id)
}

func (f *faultStore) ListTasks(ctx context.Context, fl taskq.TaskFilter) (taskq.TaskPage, error) {
	if f.err != nil {
		return taskq.TaskPage{}, f.err
	}
	return f.Memory.ListTasks(ctx, fl)
}

func (f *faultStore) GetDeadLetterTasks(ctx context.Context, fl taskq.DeadLetterFilter) (taskq.TaskPage, error) {
	if f.err != nil {
		return taskq.TaskPage{}, f.err
	}
	return f.Memory.GetDeadLetterTasks(ctx, fl)
}

func (f *faultStore) GetDeadLetterTask(ctx context.Context, id string) (*taskq.Task, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.Memory.GetDeadLetterTask(ctx, id)
}

func (f *faultStore) RemoveFromDeadLetter(ctx context.Context, id string) error {
	if f.err != nil {
		return f.err
	}
	return f.Memory.RemoveFromDeadLetter(ctx, id)
}

func (f *faultStore) CleanupDeadLetterTasks(ctx context.Context, th time.Time) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	return f.Memory.CleanupDeadLetterTasks(ctx, th)
}

// faultKeys fails key lookups with err.
type faultKeys struct {
	*auth.MemoryKeyStore
	err error
}

func (f *faultKeys) ListAPIKeys(ctx context.Context) ([]*auth.APIKey, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.MemoryKeyStore.ListAPIKeys(ctx)
}

func (f *faultKeys) GetAPIKeyByHash(ctx context.Context, h []byte) (*auth.APIKey, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.MemoryKeyStore.GetAPIKeyByHash(ctx, h)
}

func (f *faultStore) Ping(ctx context.Context) error {
	if f.err != nil {
		return f.err
	}
	return f.Memory.Ping(ctx)
}

// driverText is what a careless backend might return.
const driverText = `pq: ERROR: relation "tasks" does not exist (SQLSTATE 42P01) in SELECT id, owner FROM tasks WHERE id = $1; ` +
	`dial tcp 10.0.0.5:5432: connection refused; password=hunter2 at /home/dev/taskq/storage/postgres/tasks.go:88 goroutine 7 [running]: main.main()`

// leaks lists what no error body may contain.
var leaks = []string{"SELECT", "SQLSTATE", "pq:", "relation", "FROM tasks", ".go", "/home/", "goroutine", "password", "hunter2", "10.0.0.5", "panic", "exploded", "dial tcp"}

func requireNoLeak(t *testing.T, body string) {
	t.Helper()
	for _, l := range leaks {
		require.NotContains(t, body, l)
	}
}

func TestErrorBodiesNeverLeak(t *testing.T) {
	t.Parallel()
	calls := []req{
		{method: "POST", path: "/api/tasks", body: `{"type":"noop"}`},
		{method: "GET", path: "/api/tasks"},
		{method: "GET", path: "/api/tasks/01900000-0000-7000-8000-000000000000"},
		{method: "DELETE", path: "/api/tasks/01900000-0000-7000-8000-000000000000"},
		{method: "GET", path: "/api/dlq"},
		{method: "POST", path: "/api/dlq/01900000-0000-7000-8000-000000000000/retry"},
		{method: "DELETE", path: "/api/dlq/01900000-0000-7000-8000-000000000000"},
		{method: "POST", path: "/api/dlq/cleanup"},
		{method: "GET", path: "/api/keys"},
	}
	t.Run("DriverError", func(t *testing.T) {
		t.Parallel()
		fs := &faultStore{Memory: storage.NewMemory(), err: errors.New(driverText)}
		b := setup(t, Config{}, Deps{Store: fs, Keys: &faultKeys{auth.NewMemoryKeyStore(), fs.err}}, false)
		for _, r := range calls {
			w := b.admin(r)
			e := requireError(t, w, http.StatusInternalServerError, taskq.CodeInternal)
			require.Empty(t, e.Error.Details)
			requireNoLeak(t, w.Body.String())
		}
		// A stored key cannot be checked while the store fails: 500, no leak.
		w := b.do(req{method: "GET", path: "/api/tasks", key: "tq_" + strings.Repeat("A", 43)})
		requireError(t, w, http.StatusInternalServerError, taskq.CodeInternal)
		requireNoLeak(t, w.Body.String())
		require.Contains(t, b.log.String(), "SQLSTATE", "the cause is logged for operators")
	})
	t.Run("Unavailable", func(t *testing.T) {
		t.Parallel()
		fs := &faultStore{Memory: storage.NewMemory(), err: taskq.WrapError(taskq.CodeServiceUnavailable, "storage unavailable", errors.New(driverText))}
		b := setup(t, Config{}, Deps{Store: fs, Keys: &faultKeys{auth.NewMemoryKeyStore(), fs.err}, Health: Health{DB: fs.Ping}}, false)
		for _, r := range calls {
			w := b.admin(r)
			requireError(t, w, http.StatusServiceUnavailable, taskq.CodeServiceUnavailable)
			require.NotEmpty(t, w.Header().Get("Retry-After"))
			requireNoLeak(t, w.Body.String())
		}
		w := b.do(req{method: "GET", path: "/health/db"})
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		requireNoLeak(t, w.Body.String())
		require.JSONEq(t, `{"status":"down","error":"storage unavailable"}`, w.Body.String())
		w = b.do(req{method: "GET", path: "/health"})
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		require.JSONEq(t, `{"status":"degraded","deployment":"custom","components":{"redis":"not_configured","db":"down"}}`, w.Body.String())
	})
	t.Run("Panic", func(t *testing.T) {
		t.Parallel()
		fs := &faultStore{Memory: storage.NewMemory(), panicGet: true}
		b := setup(t, Config{}, Deps{Store: fs, Keys: auth.NewMemoryKeyStore()}, false)
		w := b.admin(req{method: "GET", path: "/api/tasks/x", header: map[string]string{"X-Request-ID": "boom-1"}})
		e := requireError(t, w, http.StatusInternalServerError, taskq.CodeInternal)
		require.Equal(t, "boom-1", e.Error.RequestID)
		requireNoLeak(t, w.Body.String())
		for k, v := range securityHeaders {
			require.Equal(t, v, w.Header().Get(k))
		}
		require.Contains(t, b.log.String(), `"request_id":"boom-1"`)
		require.Contains(t, b.log.String(), "handler panicked")
		// The server keeps serving.
		require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/health"}).Code)
	})
}

func TestAccessLogHasNoSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{JWTSecret: strings.Repeat("j", 32)}, Deps{}, false)
	_, secret := b.newKey("k", auth.RoleUser)
	w := b.do(req{method: "POST", path: "/api/auth/token", body: map[string]any{"api_key": secret}})
	jwt := decode[map[string]any](t, w)["access_token"].(string)
	b.do(req{method: "GET", path: "/api/tasks?type=noop", bearer: jwt})
	b.do(req{method: "GET", path: "/api/tasks", key: "tq_wrong"})
	logs := b.log.String()
	require.Contains(t, logs, `"route":"GET /api/tasks"`)
	for _, s := range []string{secret, jwt, testAdminKey, strings.Repeat("j", 32), "tq_wrong"} {
		require.NotContains(t, logs, s)
	}
}
