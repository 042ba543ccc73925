package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/alert"
	"github.com/taskq/taskq/dlq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

// testSecret is the HMAC key of the tests.
var testSecret = []byte("0123456789abcdef-test-secret")

// delivery is one request the receiver got.
type delivery struct {
	event  alert.Event
	header http.Header
	at     time.Time
	status int
}

// receiver is a local webhook endpoint that checks signatures with
// alert.Verify and records what it gets. respond picks the answer to the
// n-th request (1-based); nil answers 204.
type receiver struct {
	srv     *httptest.Server
	respond func(n int) (status int, header http.Header)

	mu         sync.Mutex
	deliveries []delivery
	badSig     []error
}

func newReceiver(t *testing.T, respond func(n int) (int, http.Header)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

// url returns the receiver's URL with a path that plays the part of a
// token embedded in webhook URLs.
func (rc *receiver) url() string { return rc.srv.URL + "/hooks/TOKEN-do-not-leak" }

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	err = alert.Verify(testSecret, r.Header.Get(alert.HeaderTimestamp), body, r.Header.Get(alert.HeaderSignature), time.Minute)
	rc.mu.Lock()
	if err != nil {
		rc.badSig = append(rc.badSig, err)
		rc.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev alert.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		rc.badSig = append(rc.badSig, err)
		rc.mu.Unlock()
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	status, header := http.StatusNoContent, http.Header(nil)
	if rc.respond != nil {
		status, header = rc.respond(len(rc.deliveries) + 1)
	}
	rc.deliveries = append(rc.deliveries, delivery{event: ev, header: r.Header.Clone(), at: time.Now(), status: status})
	rc.mu.Unlock()
	for k, vs := range header {
		w.Header()[k] = vs
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte("answer from the receiver"))
}

func (rc *receiver) got() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.deliveries...)
}

func (rc *receiver) signatureErrors() []error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]error(nil), rc.badSig...)
}

// env is a whole engine on memory backends with alerting wired in.
type env struct {
	store    taskq.StorageAdapter
	queue    taskq.Queue
	client   *taskq.Client
	inner    *dlq.DLQ
	dlq      taskq.DeadLetterQueue // inner wrapped by the notifier
	worker   *worker.Worker
	notifier *alert.Notifier
	logs     *testenv.LogBuffer
}

// testConfig returns an alert config with short delays for the tests.
func testConfig(urls ...string) alert.Config {
	return alert.Config{
		URLs:           urls,
		Secret:         testSecret,
		Timeout:        2 * time.Second,
		RetryBaseDelay: 5 * time.Millisecond,
		RetryMaxDelay:  20 * time.Millisecond,
		MaxRetries:     5,
	}
}

// setup builds an env; the worker is created but not started.
func setup(t *testing.T, cfg alert.Config) *env {
	t.Helper()
	logs := &testenv.LogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, q := storage.NewMemory(), queue.NewMemory()
	client, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	require.NoError(t, err)
	inner, err := dlq.New(store, q, taskq.DeadLetterQueueConfig{}, dlq.Options{})
	require.NoError(t, err)
	cfg.Logger = log
	n, err := alert.New(client, cfg)
	require.NoError(t, err)
	wrapped := n.WrapDLQ(inner)
	w, err := worker.New(store, q, worker.Config{
		Concurrency:       4,
		LeaseTTL:          2 * time.Second,
		HeartbeatInterval: 30 * time.Millisecond,
		ReapInterval:      50 * time.Millisecond,
		ReconcileInterval: -1,
		RetryBaseDelay:    5 * time.Millisecond,
		RetryMaxDelay:     20 * time.Millisecond,
		PollInterval:      50 * time.Millisecond,
		DeadLetter:        wrapped,
		Logger:            log,
	})

	require.NoError(t, err)
	n.Register(w)
	e := &env{store: store, queue: q, client: client, inner: inner, dlq: wrapped, worker: w, notifier: n, logs: logs}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, w.Stop(ctx))
		require.NoError(t, n.Stop(ctx))
	})
	return e
}

func (e *env) start(t *testing.T) {
	t.Helper()
	require.NoError(t, e.worker.Start(context.Background()))
	require.NoError(t, e.notifier.Start(context.Background()))
}

// stopWorker stops the worker, so every outcome it was recording is done.
func (e *env) stopWorker(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, e.worker.Stop(ctx))
}

// alertTasks lists the delivery tasks, newest first.
func (e *env) alertTasks(t *testing.T) []*taskq.Task {
	t.Helper()
	page, err := e.client.List(context.Background(), taskq.TaskFilter{Type: alert.TaskType, Limit: taskq.MaxPageSize})
	require.NoError(t, err)
	return page.Tasks
}

// alertsOfKind returns the events of the delivery tasks of kind k.
func (e *env) alertsOfKind(t *testing.T, k alert.Kind) []alert.Event {
	t.Helper()
	var out []alert.Event
	for _, tk := range e.alertTasks(t) {
		b, err := json.Marshal(tk.Metadata["event"])
		require.NoError(t, err)
		var ev alert.Event
		require.NoError(t, json.Unmarshal(b, &ev))
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

// deadLetter enqueues a task of taskType and moves it to the DLQ through
// the wrapped DLQ, as the worker does.
func (e *env) deadLetter(t *testing.T, taskType string) *taskq.Task {
	t.Helper()
	ctx := context.Background()
	tk, err := e.client.Enqueue(ctx, taskType, map[string]any{"n": 1})
	require.NoError(t, err)
	require.NoError(t, e.dlq.Move(ctx, tk, taskq.Permanent(taskq.NewError(taskq.CodeValidation, "bad input"))))
	return tk
}

// waitFor polls cond every few milliseconds until it holds or timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(3 * time.Millisecond)
	}
}

// waitTask waits until the task reaches status and returns it.
func (e *env) waitTask(t *testing.T, id string, status taskq.TaskStatus) *taskq.Task {
	t.Helper()
	var got *taskq.Task
	waitFor(t, 10*time.Second, "task "+id+" to be "+string(status), func() bool {
		tk, err := e.store.GetTask(context.Background(), id)
		require.NoError(t, err)
		got = tk
		return tk.Status == status
	})
	return got
}
