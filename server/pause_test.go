package server

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// pauseWindow is how long a pause test watches a paused queue's task stay
// pending: past the worker's refresh of the paused set (one second).
const pauseWindow = 1500 * time.Millisecond

// sample returns the value of the one sample of /metrics that re (a
// multi-line regexp with one group for the value) matches, or "" when
// none does.
func (b *bundle) sample(re string) string {
	b.t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(b.do(req{method: "GET", path: "/metrics"}).Body.String())
	if m == nil {
		return ""
	}
	return m[1]
}

// queuePausedSample matches the queue_paused sample of a queue in a
// scrape.
func queuePausedSample(queue string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^queue_paused\{queue="` + regexp.QuoteMeta(queue) + `"\} ([01])$`)
}

// TestQueuePauseResume: on every deployment, POST
// /api/queues/{name}/pause and /resume are admin-only, idempotent, answer
// the queue as GET /api/queues lists it (which shows the flag), refuse
// an unknown queue with 404; a paused queue accepts tasks and its tasks
// stay pending while the worker runs the other queue's; resumed, they
// run. /metrics shows queue_paused 1 while paused, 0 after.
func TestQueuePauseResume(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{Queues: []string{"default", "bulk"}}, be.deps(t), false)
			_, userKey := b.newKey("reader", "user")
			scrape := func() string {
				t.Helper()
				m := queuePausedSample("bulk").FindStringSubmatch(b.do(req{method: "GET", path: "/metrics"}).Body.String())
				require.NotNil(t, m, "no queue_paused sample for bulk")
				return m[1]
			}
			require.Equal(t, "0", scrape())

			for _, action := range []string{"pause", "resume"} {
				path := "/api/queues/bulk/" + action
				requireError(t, b.do(req{method: "POST", path: path, key: userKey}), http.StatusForbidden, taskq.CodeForbidden)
				requireError(t, b.do(req{method: "POST", path: path}), http.StatusUnauthorized, taskq.CodeUnauthorized)
				requireError(t, b.admin(req{method: "POST", path: "/api/queues/nosuch/" + action}), http.StatusNotFound, taskq.CodeNotFound)
				requireError(t, b.admin(req{method: "POST", path: path + "?now=1"}), http.StatusBadRequest, taskq.CodeInvalidInput)
			}
			require.Equal(t, []queueInfo{{Name: "default"}, {Name: "bulk"}},
				withoutTasks(decode[queuesBody](t, b.admin(req{method: "GET", path: "/api/queues"})).Queues), "refused calls change nothing")

			for range 2 { // idempotent
				w := b.admin(req{method: "POST", path: "/api/queues/bulk/pause"})
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				require.Equal(t, queueInfo{Name: "bulk", Paused: true}, decode[queueInfo](t, w))
			}
			require.Equal(t, "1", scrape())
			held := b.createTask(userKey, map[string]any{"type": "noop", "queue": "bulk"})
			// On Redis + PostgreSQL the entry reaches Redis just after the
			// create returns (the background push): wait for it.
			want := []queueInfo{{Name: "default"}, {Name: "bulk", Paused: true, Size: 1, Pending: 1, Ready: 1}}
			var got []queueInfo
			waitFor(t, 10*time.Second, func() bool {
				got = withoutTasks(decode[queuesBody](t, b.admin(req{method: "GET", path: "/api/queues"})).Queues)
				return reflect.DeepEqual(want, got)
			}, func() string { return fmt.Sprintf("queues %+v, want %+v", got, want) })

			// The worker starts after the pause: it never sees bulk
			// running. Each default task done proves a fetch round.
			require.NoError(t, b.s.Start(context.Background()))
			for end := time.Now().Add(pauseWindow); time.Now().Before(end); {
				tk := b.createTask(userKey, map[string]any{"type": "noop"})
				b.waitStatus(tk.ID, taskq.StatusCompleted)
				require.Equal(t, taskq.StatusPending, b.getTask(held.ID).Status, "no task of a paused queue starts")
			}

			for range 2 {
				w := b.admin(req{method: "POST", path: "/api/queues/bulk/resume"})
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				got := decode[queueInfo](t, w)
				require.Equal(t, "bulk", got.Name)
				require.False(t, got.Paused)
			}
			require.Equal(t, "0", scrape())
			b.waitStatus(held.ID, taskq.StatusCompleted)
			// The record is written before the lease is acknowledged.
			want = []queueInfo{{Name: "default"}, {Name: "bulk"}}
			waitFor(t, 10*time.Second, func() bool {
				got = withoutTasks(decode[queuesBody](t, b.admin(req{method: "GET", path: "/api/queues"})).Queues)
				return reflect.DeepEqual(want, got)
			}, func() string { return fmt.Sprintf("queues %+v, want %+v", got, want) })
			require.Contains(t, b.log.String(), `"msg":"queue paused","queue":"bulk","principal":"admin"`)
		})
	}
}

// TestQueuePauseSurvivesRestart: on the durable deployments a pause is
// stored with the records: a new server process on the same backends (on
// Redis alone, after Redis itself restarted from its append-only file)
// lists the queue paused, accepts its tasks and starts none, until the
// queue is resumed.
func TestQueuePauseSurvivesRestart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("integration")
	}
	if _, err := exec.LookPath("redis-server"); err != nil && !testenv.IntegrationRequired() {
		t.Skip("redis-server not installed")
	}
	none := func(*testing.T) {}
	cases := []struct {
		name string
		cfg  func(t *testing.T) (Config, func(t *testing.T))
	}{
		{deployPostgres, func(t *testing.T) (Config, func(*testing.T)) {
			return Config{DatabaseURL: testenv.SharedPostgres(t).NewDatabase(t)}, none
		}},
		{deployRedis, func(t *testing.T) (Config, func(*testing.T)) {
			r := testenv.StartRedis(t, testenv.WithAppendOnly())
			return Config{RedisURL: r.URL()}, func(t *testing.T) { r.Restart(t) }
		}},
		{deployRedisPostgres, func(t *testing.T) (Config, func(*testing.T)) {
			return Config{RedisURL: testenv.StartRedis(t).URL(), DatabaseURL: testenv.SharedPostgres(t).NewDatabase(t)}, none
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, between := c.cfg(t)
			cfg.Queues = []string{"default", "bulk"}
			first := startLive(t, cfg)
			code, q := first.call("POST", "/api/queues/bulk/pause", testAdminKey, "")
			require.Equal(t, http.StatusOK, code, q)
			require.Equal(t, true, q["paused"])
			first.stop()

			between(t)
			second := startLive(t, cfg)
			code, list := second.call("GET", "/api/queues", testAdminKey, "")
			require.Equal(t, http.StatusOK, code, list)
			for _, q := range list["queues"].([]any) {
				delete(q.(map[string]any), "tasks") // the storage's counts: queuecounts_test.go
			}
			require.Equal(t, []any{
				map[string]any{"name": "default", "paused": false, "size": 0.0, "pending": 0.0, "ready": 0.0, "scheduled": 0.0, "running": 0.0},
				map[string]any{"name": "bulk", "paused": true, "size": 0.0, "pending": 0.0, "ready": 0.0, "scheduled": 0.0, "running": 0.0},
			}, list["queues"], "the pause outlives the server process")

			code, held := second.call("POST", "/api/tasks", testAdminKey, `{"type":"noop","queue":"bulk"}`)
			require.Equal(t, http.StatusCreated, code, held)
			heldID := held["id"].(string)
			for end := time.Now().Add(pauseWindow); time.Now().Before(end); {
				code, tk := second.call("POST", "/api/tasks", testAdminKey, `{"type":"noop"}`)
				require.Equal(t, http.StatusCreated, code, tk)
				second.waitCompleted(tk["id"].(string))
				code, got := second.call("GET", "/api/tasks/"+heldID, testAdminKey, "")
				require.Equal(t, http.StatusOK, code, got)
				require.Equal(t, string(taskq.StatusPending), got["status"], "no task of a paused queue starts")
			}
			code, q = second.call("POST", "/api/queues/bulk/resume", testAdminKey, "")
			require.Equal(t, http.StatusOK, code, q)
			require.Equal(t, false, q["paused"])
			second.waitCompleted(heldID)
		})
	}
}

// TestQueuePauseTraced: with tracing on, the server's client and worker
// use the traced storage, which keeps the pause capability: the pause
// works (and is a span), and the worker, started after it, leaves the
// paused queue's task pending until the queue is resumed.
func TestQueuePauseTraced(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	b := setup(t, Config{Queues: []string{"default", "bulk"}},
		Deps{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))}, false)
	w := b.admin(req{method: "POST", path: "/api/queues/bulk/pause"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	held := b.createTask(testAdminKey, map[string]any{"type": "noop", "queue": "bulk"})
	require.NoError(t, b.s.Start(context.Background()))
	for end := time.Now().Add(pauseWindow); time.Now().Before(end); {
		tk := b.createTask(testAdminKey, map[string]any{"type": "noop"})
		b.waitStatus(tk.ID, taskq.StatusCompleted)
		require.Equal(t, taskq.StatusPending, b.getTask(held.ID).Status, "no task of a paused queue starts")
	}
	require.Equal(t, http.StatusOK, b.admin(req{method: "POST", path: "/api/queues/bulk/resume"}).Code)
	b.waitStatus(held.ID, taskq.StatusCompleted)
	names := map[string]bool{}
	for _, s := range exp.GetSpans() {
		names[s.Name] = true
	}
	require.True(t, names["taskq.storage.PauseQueue"], "spans: %v", names)
	require.True(t, names["taskq.storage.PausedQueues"], "spans: %v", names)
}
