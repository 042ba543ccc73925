package worker_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

// bundle is what most tests need: real memory backends, a client and a
// worker configured with short intervals.
type bundle struct {
	store  taskq.StorageAdapter
	queue  taskq.Queue
	client *taskq.Client
	worker *worker.Worker
	obs    *countingObserver
	// newQueue, when set, opens another client of the same queue backend,
	// as a second process would.
	newQueue func(t *testing.T) taskq.Queue
	// dispatching is set when the store adds a created task's queue entry
	// itself, in the same transaction (PostgreSQL alone): there is no
	// crash window between record and push.
	dispatching bool
}

// otherQueue returns a second client of the bundle's queue backend (the
// same instance for in-memory queues).
func (b *bundle) otherQueue(t *testing.T) taskq.Queue {
	if b.newQueue == nil {
		return b.queue
	}
	return b.newQueue(t)
}

func fastConfig() worker.Config {
	return worker.Config{
		Concurrency:       4,
		LeaseTTL:          10 * time.Second, // only lease-expiry tests use short leases: a loaded machine must not expire live ones
		HeartbeatInterval: 30 * time.Millisecond,
		ReapInterval:      30 * time.Millisecond,
		ReconcileInterval: -1,
		RetryBaseDelay:    5 * time.Millisecond,
		RetryMaxDelay:     20 * time.Millisecond,
		PollInterval:      100 * time.Millisecond,
	}
}

// setup builds a bundle over fresh memory backends; the queue and storage
// may be replaced by Redis/PostgreSQL ones through newBackends.
func setup(t *testing.T, cfg worker.Config) *bundle {
	t.Helper()
	return setupWith(t, storage.NewMemory(), queue.NewMemory(), cfg)
}

func setupWith(t *testing.T, store taskq.StorageAdapter, q taskq.Queue, cfg worker.Config) *bundle {
	t.Helper()
	obs := &countingObserver{}
	cfg.Observer = obs
	w, err := worker.New(store, q, cfg)
	require.NoError(t, err)
	c, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	require.NoError(t, err)
	b := &bundle{store: store, queue: q, client: c, worker: w, obs: obs}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
	})
	return b
}

func (b *bundle) start(t *testing.T) {
	t.Helper()
	require.NoError(t, b.worker.Start(context.Background()))
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

// waitStatus waits until the task reaches status and returns it.
func waitStatus(t *testing.T, b *bundle, id string, status taskq.TaskStatus, timeout time.Duration) *taskq.Task {
	t.Helper()
	var got *taskq.Task
	deadline := time.Now().Add(timeout)
	for {
		tk, err := b.store.GetTask(context.Background(), id)
		require.NoError(t, err)
		got = tk
		if tk.Status == status {
			return got
		}
		if time.Now().After(deadline) {
			// The record as last read says where the task got stuck.
			t.Fatalf("timed out after %v waiting for task %s to be %s: it is %s, attempts %d, retries %d, error %+v",
				timeout, id, status, got.Status, got.Attempts, got.RetryCount, got.Error)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countingObserver counts outcomes.
type countingObserver struct {
	taskq.NopObserver
	unhandled atomic.Int64
	orphaned  atomic.Int64
	mu        sync.Mutex
	outcomes  map[taskq.Outcome]int
	recovered map[string]int
	completed atomic.Int64
	moved     int
	starts    map[string][]time.Duration
}

// TaskStarted implements taskq.StartObserver.
func (o *countingObserver) TaskStarted(queue string, wait time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.starts == nil {
		o.starts = map[string][]time.Duration{}
	}
	o.starts[queue] = append(o.starts[queue], wait)
}

// startWaits returns the waits reported for queue's starts, in order.
func (o *countingObserver) startWaits(queue string) []time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]time.Duration(nil), o.starts[queue]...)
}

func (o *countingObserver) TaskFinished(_ string, out taskq.Outcome, _ time.Duration) {
	if out == taskq.OutcomeCompleted {
		o.completed.Add(1)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.outcomes == nil {
		o.outcomes = map[taskq.Outcome]int{}
	}
	o.outcomes[out]++
}

func (o *countingObserver) TaskRecovered(reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.recovered == nil {
		o.recovered = map[string]int{}
	}
	o.recovered[reason]++
}

func (o *countingObserver) DeadLetterMoved(int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.moved++
}

func (o *countingObserver) DeadLetterCleanup(int, int, time.Duration, error) {}

func (o *countingObserver) count(out taskq.Outcome) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.outcomes[out]
}

func (o *countingObserver) recoveredCount(reason string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.recovered[reason]
}

func (o *countingObserver) TaskUnhandled(string) { o.unhandled.Add(1) }

func (o *countingObserver) TaskOrphaned(string) { o.orphaned.Add(1) }

func (o *countingObserver) unhandledCount() int64 { return o.unhandled.Load() }

// backendCase is one end-to-end case run on every backend kind.
type backendCase struct {
	name string
	fn   func(t *testing.T, mk maker)
}

// runOnBackends runs every case on every backend kind of backends, in
// parallel, each backend prepared once for all its cases.
func runOnBackends(t *testing.T, cases []backendCase) {
	t.Helper()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			mk := be.prepare(t)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.fn(t, mk)
				})
			}
		})
	}
}
