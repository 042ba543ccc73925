package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/auth/pgkeys"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/redisstore"
	"github.com/taskq/taskq/worker"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// rueidis' cluster client closes replaced connections from a goroutine
	// that sleeps 5s first; it ends by itself.
	testenv.Main(m, goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*clusterClient)._refresh.func2"))
}

// testAdminKey is the bootstrap admin key of every test server.
const testAdminKey = "test-admin-key-0123456789"

// backend names a pair of backends the endpoint tests run on.
type backend struct {
	name string
	deps func(t *testing.T) Deps
}

// backends returns the deployments the endpoint tests run on: memory and,
// when redis-server and PostgreSQL are installed, Redis+PostgreSQL,
// PostgreSQL alone and Redis alone (one Redis per top-level test t, a
// database and key prefix per server).
func backends(t *testing.T) []backend {
	out := []backend{{name: deployMemory, deps: func(*testing.T) Deps { return Deps{} }}}
	if testing.Short() {
		return out
	}
	if _, err := exec.LookPath("redis-server"); err != nil && !testenv.IntegrationRequired() {
		t.Log("redis-server not installed: the Redis and PostgreSQL deployments are skipped")
		return out
	}
	redisURL := testenv.StartRedis(t).URL()
	openRedis := func(st *testing.T, prefix string) *redisqueue.Queue {
		q, err := redisqueue.NewFromURL(redisURL, redisqueue.Config{KeyPrefix: prefix})
		require.NoError(st, err)
		st.Cleanup(func() { _ = q.Close() })
		return q
	}
	return append(out,
		backend{name: deployRedisPostgres, deps: func(st *testing.T) Deps {
			prefix := "t" + randomHex(6)
			q := openRedis(st, prefix)
			return Deps{Queue: q, Store: newPostgresStore(st, postgres.Config{}), RateLimitPrefix: prefix + ":rl:"}
		}},
		backend{name: deployPostgres, deps: func(st *testing.T) Deps {
			store := newPostgresStore(st, postgres.Config{Dispatch: true})
			q := store.Queue(postgres.QueueConfig{})
			st.Cleanup(func() { _ = q.Close() }) // before the store's (cleanups run last first)
			return Deps{Queue: q, Store: store}
		}},
		backend{name: deployRedis, deps: func(st *testing.T) Deps {
			prefix := "t" + randomHex(6)
			store, err := redisstore.NewFromURL(redisURL, redisstore.Config{KeyPrefix: prefix})
			require.NoError(st, err)
			st.Cleanup(func() { _ = store.Close() })
			q, err := store.Queue(redisqueue.Config{}) // as OpenBackends: the store dispatches
			require.NoError(st, err)
			st.Cleanup(func() { _ = q.Close() })
			return Deps{Queue: q, Store: store, RateLimitPrefix: prefix + ":rl:"}
		}},
	)
}

// backendNamed returns the deployment of backends named name, or skips t
// when it is not available.
func backendNamed(t *testing.T, name string) backend {
	t.Helper()
	for _, be := range backends(t) {
		if be.name == name {
			return be
		}
	}
	t.Skipf("the %s deployment is not available", name)
	return backend{}
}

// newPostgresStore opens a store with cfg on a new database of the shared
// PostgreSQL server, copied from a migrated template (API keys included).
func newPostgresStore(t *testing.T, cfg postgres.Config) *postgres.Store {
	t.Helper()
	pg := testenv.SharedPostgres(t)
	tpl := pg.Template(t, "taskq_server_tpl", func(ctx context.Context, url string) error {
		s, err := postgres.Open(ctx, url, postgres.Config{})
		if err != nil {
			return err
		}
		defer s.Close()
		_, err = pgkeys.New(ctx, s.Pool(), pgkeys.Config{})
		return err
	})
	cfg.SkipMigrations = true
	store, err := postgres.Open(context.Background(), pg.NewDatabaseFrom(t, tpl), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	return store
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// bundle is a test server.
type bundle struct {
	t   *testing.T
	s   *Server
	log *testenv.LogBuffer
}

// fastWorker makes the worker react in tens of milliseconds.
func fastWorker(c *worker.Config) {
	c.HeartbeatInterval = 50 * time.Millisecond
	c.PollInterval = 50 * time.Millisecond
	c.ReapInterval = 200 * time.Millisecond
	c.RetryBaseDelay = 10 * time.Millisecond
	c.RetryMaxDelay = 50 * time.Millisecond
}

// setup builds a server on deps (memory when zero) with cfg; start runs
// its worker, stopped in cleanup.
func setup(t *testing.T, cfg Config, deps Deps, start bool) *bundle {
	t.Helper()
	if cfg.AdminKey == "" {
		cfg.AdminKey = testAdminKey
	}
	if cfg.DLQ.Backoff == 0 {
		cfg.DLQ.Backoff = 10 * time.Millisecond
	}
	if cfg.RetryBaseDelay == 0 {
		cfg.RetryBaseDelay = 10 * time.Millisecond
		cfg.RetryMaxDelay = 50 * time.Millisecond
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 4
	}
	buf := &testenv.LogBuffer{}
	deps.Logger = slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if deps.Worker == nil {
		deps.Worker = fastWorker
	}
	s, err := New(cfg, deps)
	require.NoError(t, err)
	b := &bundle{t: t, s: s, log: buf}
	if start {
		require.NoError(t, s.Start(context.Background()))
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.Stop(ctx))
		if t.Failed() {
			t.Logf("server log:\n%s", buf.String())
		}
	})
	return b
}

// req describes one request.
type req struct {
	method, path string
	body         any // string, []byte or a value encoded as JSON
	key          string
	bearer       string
	ip           string
	header       map[string]string
}

// do serves one request and returns the recorded response.
func (b *bundle) do(r req) *httptest.ResponseRecorder {
	b.t.Helper()
	var body io.Reader
	switch v := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(v)
	case []byte:
		body = bytes.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		require.NoError(b.t, err)
		body = bytes.NewReader(raw)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.ip != "" {
		hr.RemoteAddr = r.ip + ":4321"
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.key != "" {
		hr.Header.Set("X-API-Key", r.key)
	}
	if r.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	return serveChecked(b.t, b.s, hr)
}

// admin sends r with the admin key.
func (b *bundle) admin(r req) *httptest.ResponseRecorder {
	r.key = testAdminKey
	return b.do(r)
}

// decode decodes a JSON response body into v and returns it.
func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v), "body: %s", w.Body.String())
	return v
}

// apiErr is a decoded error body.
type apiErr struct {
	Error struct {
		Code      string             `json:"code"`
		Message   string             `json:"message"`
		RequestID string             `json:"request_id"`
		Details   []taskq.FieldError `json:"details"`
	} `json:"error"`
}

// requireError checks status, code and the error shape of a response.
func requireError(t *testing.T, w *httptest.ResponseRecorder, status int, code taskq.ErrorCode) apiErr {
	t.Helper()
	require.Equal(t, status, w.Code, "body: %s", w.Body.String())
	require.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	e := decode[apiErr](t, w)
	require.Equal(t, string(code), e.Error.Code, "body: %s", w.Body.String())
	require.NotEmpty(t, e.Error.Message)
	require.Equal(t, w.Header().Get("X-Request-ID"), e.Error.RequestID)
	return e
}

// createTask creates a task as key and returns it.
func (b *bundle) createTask(key string, body map[string]any) *taskq.Task {
	b.t.Helper()
	w := b.do(req{method: "POST", path: "/api/tasks", key: key, body: body})
	require.Equal(b.t, http.StatusCreated, w.Code, "body: %s", w.Body.String())
	return decode[*taskq.Task](b.t, w)
}

// getTask reads a task as the admin.
func (b *bundle) getTask(id string) *taskq.Task {
	b.t.Helper()
	w := b.admin(req{method: "GET", path: "/api/tasks/" + id})
	require.Equal(b.t, http.StatusOK, w.Code, "body: %s", w.Body.String())
	return decode[*taskq.Task](b.t, w)
}

// waitStatus polls a task until it reaches status, within 30s (a loaded
// CI machine runs the reliability suite beside these tests).
func (b *bundle) waitStatus(id string, status taskq.TaskStatus) *taskq.Task {
	b.t.Helper()
	var last *taskq.Task
	waitFor(b.t, 30*time.Second, func() bool {
		last = b.getTask(id)
		return last.Status == status
	}, func() string { return "task " + id + " stayed " + string(last.Status) + ", want " + string(status) })
	return last
}

// newKey creates an API key as the admin and returns its id and secret.
func (b *bundle) newKey(name string, role auth.Role) (id, secret string) {
	b.t.Helper()
	w := b.admin(req{method: "POST", path: "/api/keys", body: map[string]any{"name": name, "role": role}})
	require.Equal(b.t, http.StatusCreated, w.Code, "body: %s", w.Body.String())
	k := decode[map[string]any](b.t, w)
	return k["id"].(string), k["key"].(string)
}

// waitFor polls cond every 10ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, cond func() bool, msg func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %s", d, msg())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newRequestNoLength builds a request whose body length is unknown.
func newRequestNoLength(method, path, body string) *http.Request {
	hr := httptest.NewRequest(method, path, io.MultiReader(strings.NewReader(body)))
	hr.Header.Set("Content-Type", "application/json")
	hr.ContentLength = -1
	return hr
}

// serve serves a prepared request.
func serve(b *bundle, hr *http.Request) *httptest.ResponseRecorder {
	b.t.Helper()
	return serveChecked(b.t, b.s, hr)
}

func readCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
