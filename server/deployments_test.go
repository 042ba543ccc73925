package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/auth/pgkeys"
	"github.com/taskq/taskq/auth/rediskeys"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/leader/pgleader"
	"github.com/taskq/taskq/leader/redisleader"
)

// liveServer is a server run as the binary runs it: OpenBackends on a
// configuration, then Serve on a loopback listener.
type liveServer struct {
	t      *testing.T
	base   string
	log    *testenv.LogBuffer
	client *http.Client
	cancel context.CancelFunc
	done   chan error
	deps   Deps
}

// startLive opens the backends cfg names and serves them until stop.
func startLive(t *testing.T, cfg Config) *liveServer {
	t.Helper()
	cfg.AdminKey, cfg.ShutdownTimeout = testAdminKey, 10*time.Second
	cfg = cfg.withDefaults()
	buf := &testenv.LogBuffer{}
	deps, err := OpenBackends(context.Background(), cfg, slogTo(buf))
	require.NoError(t, err, "log:\n%s", buf.String())
	deps.Worker = fastWorker
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ls := &liveServer{t: t, base: "http://" + ln.Addr().String(), log: buf, client: &http.Client{Timeout: 5 * time.Second},
		cancel: cancel, done: make(chan error, 1), deps: deps}
	go func() { ls.done <- Serve(ctx, cfg, deps, ln) }()
	t.Cleanup(func() { ls.stop() })
	return ls
}

// stop ends Serve, waits for it (15s at most) and closes the backends;
// calling it again does nothing.
func (ls *liveServer) stop() {
	if ls.done == nil {
		return
	}
	ls.cancel()
	select {
	case err := <-ls.done:
		require.NoError(ls.t, err)
	case <-time.After(15 * time.Second):
		ls.t.Fatal("Serve did not return within 15s")
	}
	ls.done = nil
	ls.client.CloseIdleConnections()
	require.NoError(ls.t, ls.deps.Close())
	if ls.t.Failed() {
		ls.t.Logf("server log:\n%s", ls.log.String())
	}
}

// call sends one request over the network and checks the exchange against
// the OpenAPI document, as serveChecked does for in-process requests.
func (ls *liveServer) call(method, path, key, body string) (int, map[string]any) {
	ls.t.Helper()
	hr, err := http.NewRequest(method, ls.base+path, bytes.NewReader([]byte(body)))
	require.NoError(ls.t, err)
	vr := httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
	for _, r := range []*http.Request{hr, vr} {
		if key != "" {
			r.Header.Set("X-API-Key", key)
		}
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
	}
	resp, err := ls.client.Do(hr)
	require.NoError(ls.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(ls.t, err)
	w := httptest.NewRecorder()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(raw)
	if err := checkExchange(vr, w); err != nil {
		ls.t.Errorf("OpenAPI: %s %s → %d: %v\nresponse body: %s", method, path, resp.StatusCode, err, raw)
	}
	var m map[string]any
	if len(raw) > 0 {
		require.NoError(ls.t, json.Unmarshal(raw, &m), "body: %s", raw)
	}
	return resp.StatusCode, m
}

// waitCompleted waits until the task is completed (10s at most).
func (ls *liveServer) waitCompleted(id string) map[string]any {
	ls.t.Helper()
	var tk map[string]any
	waitFor(ls.t, 10*time.Second, func() bool {
		code, got := ls.call("GET", "/api/tasks/"+id, testAdminKey, "")
		require.Equal(ls.t, http.StatusOK, code, got)
		tk = got
		return tk["status"] == string(taskq.StatusCompleted)
	}, func() string { return "task " + id + " stayed " + tk["status"].(string) })
	return tk
}

// TestDeployments runs the server on each deployment as the binary does
// (the URLs of the configuration pick it): a task created over HTTP is run
// by the server's worker; /health and the startup log name the deployment.
// Then a new server on the same backends (a restarted process) still has
// the task record and the API key created before, and runs new tasks. On
// Redis alone, Redis runs with the append-only file and is restarted too.
func TestDeployments(t *testing.T) {
	t.Parallel()
	type deployment struct {
		name string
		cfg  func(t *testing.T) (Config, func(t *testing.T))
	}
	none := func(*testing.T) {}
	cases := []deployment{{deployMemory, func(*testing.T) (Config, func(*testing.T)) { return Config{}, none }}}
	if !testing.Short() {
		if _, err := exec.LookPath("redis-server"); err == nil || testenv.IntegrationRequired() {
			cases = append(cases,
				deployment{deployPostgres, func(t *testing.T) (Config, func(*testing.T)) {
					return Config{DatabaseURL: testenv.SharedPostgres(t).NewDatabase(t)}, none
				}},
				deployment{deployRedis, func(t *testing.T) (Config, func(*testing.T)) {
					r := testenv.StartRedis(t, testenv.WithAppendOnly())
					return Config{RedisURL: r.URL()}, func(t *testing.T) { r.Restart(t) }
				}},
				deployment{deployRedisPostgres, func(t *testing.T) (Config, func(*testing.T)) {
					return Config{RedisURL: testenv.StartRedis(t).URL(), DatabaseURL: testenv.SharedPostgres(t).NewDatabase(t)}, none
				}},
			)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, between := c.cfg(t)
			require.Equal(t, c.name, deploymentOfConfig(cfg))
			first := startLive(t, cfg)
			code, h := first.call("GET", "/health", "", "")
			require.Equal(t, http.StatusOK, code, h)
			require.Equal(t, c.name, h["deployment"])
			require.Regexp(t, `msg="taskq server listening".* deployment=`+regexp.QuoteMeta(c.name)+`(\s|$)`, first.log.String())
			require.Regexp(t, `msg="backends open" deployment=`+regexp.QuoteMeta(c.name)+`(\s|$)`, first.log.String())

			if c.name == deployRedis {
				require.NotContains(t, first.log.String(), "append-only file is off")
			}

			code, key := first.call("POST", "/api/keys", testAdminKey, `{"name":"ci","role":"user"}`)
			require.Equal(t, http.StatusCreated, code, key)
			userKey := key["key"].(string)
			code, tk := first.call("POST", "/api/tasks", userKey, `{"type":"noop","description":"before restart"}`)
			require.Equal(t, http.StatusCreated, code, tk)
			id := tk["id"].(string)
			done := first.waitCompleted(id)
			first.stop()
			if c.name == deployMemory {
				return // nothing outlives the process
			}

			between(t)
			second := startLive(t, cfg)
			code, got := second.call("GET", "/api/tasks/"+id, userKey, "")
			require.Equal(t, http.StatusOK, code, "the task record and the API key outlive the server process: %v", got)
			require.Equal(t, string(taskq.StatusCompleted), got["status"])
			require.Equal(t, "before restart", got["description"])
			require.Equal(t, done["completed_at"], got["completed_at"])
			code, tk = second.call("POST", "/api/tasks", userKey, `{"type":"noop","description":"after restart"}`)
			require.Equal(t, http.StatusCreated, code, tk)
			second.waitCompleted(tk["id"].(string))
			code, list := second.call("GET", "/api/tasks?type=noop", userKey, "")
			require.Equal(t, http.StatusOK, code)
			require.Len(t, list["tasks"], 2, "both tasks are listed: %v", list)
		})
	}
}

// TestRedisOnlyWarnsWithoutAppendOnly: on Redis alone, a Redis without the
// append-only file is accepted with a warning (its snapshots may be the
// operator's choice), naming the setting.
func TestRedisOnlyWarnsWithoutAppendOnly(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("integration")
	}
	r := testenv.StartRedis(t)
	buf := &testenv.LogBuffer{}
	deps, err := OpenBackends(context.Background(), Config{RedisURL: r.URL()}.withDefaults(), slogTo(buf))
	require.NoError(t, err)
	require.NoError(t, deps.Close())
	require.Contains(t, buf.String(), "append-only file is off")
	require.Contains(t, buf.String(), "appendonly=no")
	require.Contains(t, buf.String(), "deployment=redis\n")
}

// TestRedisOnlyRefusesEvictingRedis: on Redis alone too, a Redis that may
// evict keys does not start the server.
func TestRedisOnlyRefusesEvictingRedis(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("integration")
	}
	r := testenv.StartRedis(t, testenv.WithRedisArgs("--maxmemory-policy", "allkeys-lru"))
	_, err := OpenBackends(context.Background(), Config{RedisURL: r.URL()}.withDefaults(), nil)
	require.ErrorContains(t, err, "allkeys-lru")
	require.ErrorContains(t, err, "noeviction")
}

// TestStoresFollowTheDeployment: on each deployment the API keys, the
// leader election and the health checks use that deployment's backends.
func TestStoresFollowTheDeployment(t *testing.T) {
	t.Parallel()
	want := map[string]struct {
		keys, leader    any
		redis, database bool
	}{
		deployMemory:        {&auth.MemoryKeyStore{}, &leader.MemoryStore{}, false, false},
		deployPostgres:      {&pgkeys.Store{}, &pgleader.Store{}, false, true},
		deployRedis:         {&rediskeys.Store{}, &redisleader.Store{}, true, false},
		deployRedisPostgres: {&pgkeys.Store{}, &pgleader.Store{}, true, true},
	}
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			w, ok := want[be.name]
			require.True(t, ok)
			b := setup(t, Config{}, be.deps(t), false)
			require.Equal(t, be.name, b.s.deployment)
			ks, err := defaultKeyStore(nil, b.s.store)
			require.NoError(t, err)
			require.IsType(t, w.keys, ks)
			ls, err := leaseStore(b.s.store, b.s.queue)
			require.NoError(t, err)
			require.IsType(t, w.leader, ls)
			require.Equal(t, w.redis, b.s.health.Redis != nil, "redis health check")
			require.Equal(t, w.database, b.s.health.DB != nil, "db health check")
		})
	}
}

// TestRedisPrefixKeepsItsDeployment: a Redis key prefix used by a
// redis+postgres deployment is bound to its PostgreSQL storage, so a
// server on Redis alone with the same Redis and prefix does not start (its
// worker would lease the other deployment's ids and find no record);
// nothing is written.
func TestRedisPrefixKeepsItsDeployment(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("integration")
	}
	redisURL := testenv.StartRedis(t).URL()
	first := startLive(t, Config{RedisURL: redisURL, DatabaseURL: testenv.SharedPostgres(t).NewDatabase(t)})
	code, tk := first.call("POST", "/api/tasks", testAdminKey, `{"type":"noop"}`)
	require.Equal(t, http.StatusCreated, code, tk)
	first.waitCompleted(tk["id"].(string))
	first.stop()

	cfg := Config{RedisURL: redisURL, AdminKey: testAdminKey}.withDefaults()
	deps, err := OpenBackends(context.Background(), cfg, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, deps.Close()) }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = Serve(ctx, cfg, deps, ln)
	require.ErrorIs(t, err, taskq.ErrStorageMismatch)
	page, err := deps.Store.ListTasks(context.Background(), taskq.TaskFilter{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, page.Tasks, "the Redis storage stays empty")
}
