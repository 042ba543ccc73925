package worker_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/worker"
)

// maker builds a bundle over one kind of backends.
type maker func(t *testing.T, cfg worker.Config) *bundle

// backend is one kind of backends: prepare runs once per kind in the
// parent test (starting servers) and returns the per-test maker.
type backend struct {
	name    string
	prepare func(t *testing.T) maker
}

// backends lists the backend kinds the end-to-end tests run on: memory,
// PostgreSQL storage, PostgreSQL alone, the Redis queue, Redis alone and
// Redis + PostgreSQL (see backends_test.go). Without the servers those kinds skip, or fail under
// TASKQ_REQUIRE_INTEGRATION=1.
var backends = []backend{
	{"memory", func(*testing.T) maker { return setup }},
}

// TestWorker runs every end-to-end case on every backend kind.
func TestWorker(t *testing.T) {
	t.Parallel()
	cases := []backendCase{
		{"PriorityOrder", testPriorityOrder},
		{"RetryThenSuccess", testRetryThenSuccess},
		{"RetriesExhausted", testRetriesExhausted},
		{"PermanentFailure", testPermanentFailure},
		{"AttemptTimeout", testAttemptTimeout},
		{"Deadline", testDeadline},
		{"PanicRecovered", testPanicRecovered},
		{"CancelRunning", testCancelRunning},
		{"CancelAcrossWorkers", testCancelAcrossWorkers},
		{"LostWorkerTaskComesBack", testLostWorkerTaskComesBack},
		{"ShutdownLosesNothing", testShutdownLosesNothing},
		{"GracefulStopWaits", testGracefulStopWaits},
		{"Reconcile", testReconcile},
		{"TerminalRecordSkipped", testTerminalRecordSkipped},
		{"NoHandler", testNoHandler},
		{"BreakerOpenReschedules", testBreakerOpenReschedules},
		{"DelayedTask", testDelayedTask},
		{"BreakerOpensMidCall", testBreakerOpensMidCall},
		{"Snooze", testSnooze},
		{"ManyTasksConcurrently", testManyTasksConcurrently},
		{"PauseQueue", testPauseQueue},
	}
	runOnBackends(t, cases)
}

func testPriorityOrder(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.Concurrency = 1
	b := mk(t, cfg)
	ctx := context.Background()
	var mu sync.Mutex
	var order []string
	b.worker.HandleFunc("rec", func(_ context.Context, tk *taskq.Task) (any, error) {
		mu.Lock()
		order = append(order, tk.Description)
		mu.Unlock()
		return nil, nil
	})
	// Enqueued LOW first, CRITICAL last; two of each to check FIFO.
	var want []string
	for _, p := range []taskq.TaskPriority{taskq.PriorityLow, taskq.PriorityMedium, taskq.PriorityHigh, taskq.PriorityCritical} {
		for i := range 2 {
			d := p.String() + "-" + string(rune('a'+i))
			_, err := b.client.Enqueue(ctx, "rec", nil, taskq.WithPriority(p), taskq.WithDescription(d))
			require.NoError(t, err)
		}
	}
	for _, p := range taskq.Priorities() {
		want = append(want, p.String()+"-a", p.String()+"-b")
	}
	b.start(t)
	waitFor(t, 5*time.Second, "8 tasks", func() bool { return b.obs.completed.Load() == 8 })
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, want, order)
}

func testRetryThenSuccess(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	var calls atomic.Int32
	b.worker.HandleFunc("flaky", func(_ context.Context, tk *taskq.Task) (any, error) {
		if calls.Add(1) <= 2 {
			return nil, errors.New("transient")
		}
		return map[string]any{"attempt": tk.Attempts}, nil
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "flaky", nil, taskq.WithMaxRetries(3))
	require.NoError(t, err)
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 5*time.Second)
	require.Equal(t, 2, got.RetryCount)
	require.Equal(t, 3, got.Attempts)
	require.JSONEq(t, `{"attempt":3}`, string(got.Result))
	require.NotNil(t, got.CompletedAt)
	require.Equal(t, 2, b.obs.count(taskq.OutcomeRetry))
}

func testRetriesExhausted(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	var calls atomic.Int32
	b.worker.HandleFunc("fail", func(context.Context, *taskq.Task) (any, error) {
		calls.Add(1)
		return nil, errors.New("boom")
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "fail", nil, taskq.WithMaxRetries(1))
	require.NoError(t, err)
	got := waitStatus(t, b, tk.ID, taskq.StatusDeadLetter, 5*time.Second)
	require.Equal(t, 1, got.RetryCount, "max_retries 1 always failing: runs twice, retry_count 1")
	require.Equal(t, 2, got.Attempts)
	require.EqualValues(t, 2, calls.Load())
	require.NotNil(t, got.Error)
	require.Equal(t, taskq.CodeTaskExecutionFailed, got.Error.Code)
	require.Equal(t, "boom", got.Error.Message)
	require.NotNil(t, got.DeadLetteredAt)
	dl, err := b.store.GetDeadLetterTask(context.Background(), tk.ID)
	require.NoError(t, err)
	require.Equal(t, tk.ID, dl.ID)
}

func testPermanentFailure(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	b.worker.HandleFunc("perm", func(context.Context, *taskq.Task) (any, error) {
		return nil, taskq.Permanent(errors.New("bad input"))
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "perm", nil, taskq.WithMaxRetries(5))
	require.NoError(t, err)
	got := waitStatus(t, b, tk.ID, taskq.StatusDeadLetter, 5*time.Second)
	require.Equal(t, 0, got.RetryCount)
	require.Equal(t, 1, got.Attempts)
	require.False(t, got.Error.Retryable)
}

func testAttemptTimeout(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	var sawDeadline atomic.Bool
	b.worker.HandleFunc("slow", func(ctx context.Context, _ *taskq.Task) (any, error) {
		<-ctx.Done()
		sawDeadline.Store(errors.Is(ctx.Err(), context.DeadlineExceeded))
		return nil, ctx.Err()
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "slow", nil, taskq.WithTimeout(50*time.Millisecond), taskq.WithMaxRetries(1))
	require.NoError(t, err)
	got := waitStatus(t, b, tk.ID, taskq.StatusDeadLetter, 5*time.Second)
	require.True(t, sawDeadline.Load())
	require.Equal(t, taskq.CodeTaskTimeout, got.Error.Code)
	require.True(t, got.Error.Retryable, "an attempt timeout is retryable")
	require.Equal(t, 1, got.RetryCount, "the timeout was retried once")
}

func testDeadline(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	var started atomic.Int32
	b.worker.HandleFunc("block", func(ctx context.Context, _ *taskq.Task) (any, error) {
		started.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	b.start(t)
	ctx := context.Background()
	// Running past the deadline: no retry even with retries left.
	tk, err := b.client.Enqueue(ctx, "block", nil, taskq.WithDeadline(time.Now().Add(150*time.Millisecond)), taskq.WithMaxRetries(5))
	require.NoError(t, err)
	got := waitStatus(t, b, tk.ID, taskq.StatusDeadLetter, 5*time.Second)
	require.Equal(t, taskq.CodeTaskTimeout, got.Error.Code)
	require.Equal(t, 0, got.RetryCount)
	// Scheduled to run after its deadline: never started.
	before := started.Load()
	tk2, err := b.client.Enqueue(ctx, "block", nil, taskq.WithDeadline(time.Now().Add(50*time.Millisecond)), taskq.WithDelay(100*time.Millisecond))
	require.NoError(t, err)
	got2 := waitStatus(t, b, tk2.ID, taskq.StatusDeadLetter, 5*time.Second)
	require.Equal(t, taskq.CodeTaskTimeout, got2.Error.Code)
	require.Equal(t, before, started.Load(), "a task past its deadline must not start")
}

func testPanicRecovered(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	b.worker.HandleFunc("panic", func(context.Context, *taskq.Task) (any, error) { panic("kaboom") })
	b.worker.HandleFunc("ok", func(context.Context, *taskq.Task) (any, error) { return "fine", nil })
	b.start(t)
	ctx := context.Background()
	tk, err := b.client.Enqueue(ctx, "panic", nil, taskq.WithMaxRetries(0))
	require.NoError(t, err)
	got := waitStatus(t, b, tk.ID, taskq.StatusDeadLetter, 5*time.Second)
	require.Contains(t, got.Error.Message, "panicked: kaboom")
	ok, err := b.client.Enqueue(ctx, "ok", nil)
	require.NoError(t, err)
	got = waitStatus(t, b, ok.ID, taskq.StatusCompleted, 5*time.Second)
	require.JSONEq(t, `"fine"`, string(got.Result))
}

func testCancelRunning(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	started := make(chan struct{})
	cause := make(chan error, 1)
	b.worker.HandleFunc("block", func(ctx context.Context, _ *taskq.Task) (any, error) {
		close(started)
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return nil, ctx.Err()
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "block", nil)
	require.NoError(t, err)
	<-started
	c, err := b.client.Cancel(context.Background(), tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCancelled, c.Status)
	select {
	case err := <-cause:
		require.Same(t, taskq.ErrTaskCancelled, err, "a cancelled task's handler sees ErrTaskCancelled, not a lost lease")
	case <-time.After(2 * time.Second):
		t.Fatal("handler context not cancelled within 2s (heartbeat 30ms)")
	}
	waitFor(t, 2*time.Second, "cancelled outcome", func() bool { return b.obs.count(taskq.OutcomeCancelled) == 1 })
	got, err := b.store.GetTask(context.Background(), tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCancelled, got.Status, "cancelled stays cancelled")
	_, err = b.client.Cancel(context.Background(), tk.ID)
	require.ErrorIs(t, err, taskq.ErrConflict)
}

// testCancelAcrossWorkers cancels through a second worker's client: the
// handler running in the first worker stops.
func testCancelAcrossWorkers(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	other, err := worker.New(b.store, b.otherQueue(t), fastConfig())
	require.NoError(t, err)
	started := make(chan string, 1)
	stopped := make(chan struct{})
	h := func(ctx context.Context, tk *taskq.Task) (any, error) {
		started <- tk.ID
		<-ctx.Done()
		close(stopped)
		return nil, ctx.Err()
	}
	b.worker.HandleFunc("block", h)
	other.HandleFunc("block", h)
	b.start(t)
	require.NoError(t, other.Start(context.Background()))
	defer func() { require.NoError(t, other.Stop(context.Background())) }()
	tk, err := b.client.Enqueue(context.Background(), "block", nil)
	require.NoError(t, err)
	require.Equal(t, tk.ID, <-started)
	client2, err := taskq.NewClient(b.store, b.otherQueue(t), taskq.ClientConfig{})
	require.NoError(t, err)
	_, err = client2.Cancel(context.Background(), tk.ID)
	require.NoError(t, err)
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		t.Fatal("running handler not cancelled")
	}
}

// faultyQueue simulates a worker process that died: once killed, every
// call fails, so it neither heartbeats nor acknowledges.
type faultyQueue struct {
	taskq.Queue
	dead atomic.Bool
}

var errDead = &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "process is dead"}

func (q *faultyQueue) Extend(ctx context.Context, queue string, leases []taskq.Lease, ttl time.Duration) ([]taskq.Lease, error) {
	if q.dead.Load() {
		return nil, errDead
	}
	return q.Queue.Extend(ctx, queue, leases, ttl)
}

func (q *faultyQueue) Ack(ctx context.Context, queue string, leases ...taskq.Lease) error {
	if q.dead.Load() {
		return errDead
	}
	return q.Queue.Ack(ctx, queue, leases...)
}

func (q *faultyQueue) Requeue(ctx context.Context, queue string, e taskq.QueueEntry) error {
	if q.dead.Load() {
		return errDead
	}
	return q.Queue.Requeue(ctx, queue, e)
}

func (q *faultyQueue) Lease(ctx context.Context, p taskq.LeaseParams) ([]taskq.Lease, error) {
	if q.dead.Load() {
		return nil, errDead
	}
	return q.Queue.Lease(ctx, p)
}

func (q *faultyQueue) Reap(ctx context.Context, queue string, max int, ttl time.Duration) ([]taskq.Lease, error) {
	if q.dead.Load() {
		return nil, errDead
	}
	return q.Queue.Reap(ctx, queue, max, ttl)
}

type faultyStore struct {
	taskq.StorageAdapter
	dead *atomic.Bool
}

func (s faultyStore) UpdateTask(ctx context.Context, tk *taskq.Task, expect ...taskq.TaskStatus) error {
	if s.dead.Load() {
		return errDead
	}
	return s.StorageAdapter.UpdateTask(ctx, tk, expect...)
}

func (s faultyStore) UpdateAttempt(ctx context.Context, tk *taskq.Task, attempt int) error {
	if s.dead.Load() {
		return errDead
	}
	return s.StorageAdapter.UpdateAttempt(ctx, tk, attempt)
}

func (s faultyStore) MoveTaskToDeadLetter(ctx context.Context, tk *taskq.Task, maxSize int) (int, error) {
	if s.dead.Load() {
		return 0, errDead
	}
	return s.StorageAdapter.MoveTaskToDeadLetter(ctx, tk, maxSize)
}

// testLostWorkerTaskComesBack kills a worker mid-task (its process stops
// talking to Redis/Postgres) and sees another worker reap the lease, count
// a failed attempt and finish the task.
func testLostWorkerTaskComesBack(t *testing.T, mk maker) {
	cfg := fastConfig()
	// 1s, not less: a reaper that did not run for a whole lease takes it
	// for a pause of its own process and forgives the leases it then
	// reaps (no attempt counted), which a loaded machine caused with 300ms.
	cfg.LeaseTTL = time.Second
	b := mk(t, cfg)
	fq := &faultyQueue{Queue: b.queue}
	doomed, err := worker.New(faultyStore{StorageAdapter: b.store, dead: &fq.dead}, fq, cfg)
	require.NoError(t, err)
	release := make(chan struct{})
	inDoomed := make(chan string, 1)
	doomed.HandleFunc("job", func(_ context.Context, tk *taskq.Task) (any, error) {
		inDoomed <- tk.ID
		<-release // the dead process never returns in time
		return "late", nil
	})
	require.NoError(t, doomed.Start(context.Background()))
	tk, err := b.client.Enqueue(context.Background(), "job", nil, taskq.WithMaxRetries(2))
	require.NoError(t, err)
	require.Equal(t, tk.ID, <-inDoomed)
	fq.dead.Store(true) // the process dies here

	b.worker.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) { return "survivor", nil })
	b.start(t)
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 15*time.Second)
	require.JSONEq(t, `"survivor"`, string(got.Result))
	require.Equal(t, 1, got.RetryCount, "the lost attempt counts as a failure")
	require.Equal(t, 2, got.Attempts)
	require.GreaterOrEqual(t, b.obs.recoveredCount(taskq.RecoveredLeaseExpired), 1)

	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, doomed.Stop(ctx))
	got, err = b.store.GetTask(context.Background(), tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCompleted, got.Status, "the dead worker's late result changes nothing")
	require.JSONEq(t, `"survivor"`, string(got.Result))
}

// testShutdownLosesNothing stops a worker with a short timeout while
// handlers run; a second worker then finishes every task.
func testShutdownLosesNothing(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.Concurrency = 8
	b := mk(t, cfg)
	const n = 60
	var firstRuns atomic.Int32
	b.worker.HandleFunc("job", func(ctx context.Context, _ *taskq.Task) (any, error) {
		firstRuns.Add(1)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
			return "first", nil
		}
	})
	ids := make([]string, n)
	for i := range n {
		tk, err := b.client.Enqueue(context.Background(), "job", nil, taskq.WithMaxRetries(0))
		require.NoError(t, err)
		ids[i] = tk.ID
	}
	b.start(t)
	waitFor(t, 5*time.Second, "some tasks to start", func() bool { return firstRuns.Load() >= 10 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	_ = b.worker.Stop(ctx) // may or may not time out; both must lose nothing
	cancel()
	<-b.worker.Stopped()

	second, err := worker.New(b.store, b.queue, cfg)
	require.NoError(t, err)
	second.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) { return "second", nil })
	require.NoError(t, second.Start(context.Background()))
	defer func() { require.NoError(t, second.Stop(context.Background())) }()
	for _, id := range ids {
		got := waitStatus(t, b, id, taskq.StatusCompleted, 10*time.Second)
		require.Equal(t, 0, got.RetryCount, "shutdown must not burn retries")
		require.Nil(t, got.Error)
	}
	st, err := b.queue.Stats(context.Background(), taskq.DefaultQueue)
	require.NoError(t, err)
	waitFor(t, 5*time.Second, "queue to drain", func() bool {
		st, err = b.queue.Stats(context.Background(), taskq.DefaultQueue)
		require.NoError(t, err)
		return st.Total() == 0
	})
}

func testGracefulStopWaits(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	started := make(chan struct{})
	b.worker.HandleFunc("job", func(ctx context.Context, _ *taskq.Task) (any, error) {
		close(started)
		time.Sleep(100 * time.Millisecond)
		return "done", ctx.Err()
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "job", nil)
	require.NoError(t, err)
	<-started
	require.NoError(t, b.worker.Stop(context.Background()))
	got, err := b.store.GetTask(context.Background(), tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCompleted, got.Status)
	require.NoError(t, b.worker.Stop(context.Background()), "Stop is idempotent")
}

func testReconcile(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.ReconcileAfter = time.Millisecond
	b := mk(t, cfg)
	b.worker.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	// A crash between "write the record" and "push the id".
	tk, err := b.client.NewTask("job", nil)
	require.NoError(t, err)
	_, err = b.store.CreateTask(context.Background(), tk)
	require.NoError(t, err)
	if b.dispatching {
		// The store enqueued the record with its creation: there is no
		// crash window, the entry is there before anything else runs.
		st, err := b.queue.Stats(context.Background(), taskq.DefaultQueue)
		require.NoError(t, err)
		require.Equal(t, int64(1), st.Ready[tk.Priority], "the created record is in the queue")
	}
	b.start(t)
	time.Sleep(5 * time.Millisecond) // let the record age past ReconcileAfter
	require.NoError(t, b.worker.Reconcile(context.Background(), taskq.DefaultQueue))
	waitStatus(t, b, tk.ID, taskq.StatusCompleted, 5*time.Second)
	if _, ok := b.queue.(taskq.EnqueueCounter); ok && !b.dispatching {
		// (With a dispatching store the reconciler may still count the
		// task if it completed between the listing and the push.)
		require.Equal(t, 1, b.obs.recoveredCount(taskq.RecoveredReconciled), "the pushed record is counted")
	}
}

func testTerminalRecordSkipped(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	var calls atomic.Int32
	b.worker.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) { calls.Add(1); return nil, nil })
	tk, err := b.client.Enqueue(context.Background(), "job", nil)
	require.NoError(t, err)
	_, err = b.client.Cancel(context.Background(), tk.ID)
	require.NoError(t, err)
	// The id is pushed again (e.g. by a reconciler racing the cancel).
	require.NoError(t, b.queue.Enqueue(context.Background(), taskq.DefaultQueue, taskq.QueueEntry{ID: tk.ID}))
	b.start(t)
	waitFor(t, 5*time.Second, "queue to drain", func() bool {
		st, err := b.queue.Stats(context.Background(), taskq.DefaultQueue)
		require.NoError(t, err)
		return st.Total() == 0
	})
	require.Zero(t, calls.Load())
}

func testNoHandler(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.UnhandledGrace = 600 * time.Millisecond
	b := mk(t, cfg)
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "unknown.type", nil, taskq.WithMaxRetries(1))
	require.NoError(t, err)
	// Within the grace it is put back without using a retry...
	waitFor(t, 5*time.Second, "the unhandled task to be put back", func() bool { return b.obs.unhandledCount() > 0 })
	cur, err := b.store.GetTask(context.Background(), tk.ID)
	require.NoError(t, err)
	require.Equal(t, 0, cur.RetryCount, "putting back an unhandled task uses no retry")
	require.NotEqual(t, taskq.StatusDeadLetter, cur.Status)
	// ...then it fails for good with a clear error, retries unused.
	got := waitStatus(t, b, tk.ID, taskq.StatusDeadLetter, 10*time.Second)
	require.Contains(t, got.Error.Message, "no handler registered for type unknown.type")
	require.Equal(t, 0, got.RetryCount)
	require.False(t, got.Error.Retryable)
}

// gate is a Breakers whose state tests flip.
type gate struct{ open atomic.Bool }

func (g *gate) Allow(string) (bool, time.Duration) {
	if g.open.Load() {
		return false, 20 * time.Millisecond
	}
	return true, 0
}

func (g *gate) OpenError(err error) (time.Duration, bool) {
	if errors.Is(err, errGateOpen) {
		return 20 * time.Millisecond, true
	}
	return 0, false
}

var errGateOpen = errors.New("gate open")

// testBreakerOpensMidCall: the handler's own call finds the breaker open;
// the task is put back without using a retry.
func testBreakerOpensMidCall(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.Breakers = &gate{}
	b := mk(t, cfg)
	var calls atomic.Int32
	b.worker.HandleFunc("call", func(context.Context, *taskq.Task) (any, error) {
		if calls.Add(1) <= 3 {
			return nil, fmt.Errorf("calling payments: %w", errGateOpen)
		}
		return "paid", nil
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "call", nil, taskq.WithMaxRetries(0))
	require.NoError(t, err)
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 5*time.Second)
	require.Equal(t, 0, got.RetryCount)
	require.Equal(t, 1, got.Attempts, "put-back attempts are not counted")
	require.EqualValues(t, 4, calls.Load())
}

func testSnooze(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	var calls atomic.Int32
	b.worker.HandleFunc("snoozy", func(context.Context, *taskq.Task) (any, error) {
		if calls.Add(1) == 1 {
			return nil, taskq.Snooze(30 * time.Millisecond)
		}
		return nil, nil
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "snoozy", nil, taskq.WithMaxRetries(0))
	require.NoError(t, err)
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 5*time.Second)
	require.Equal(t, 0, got.RetryCount)
	require.EqualValues(t, 2, calls.Load())
}

func testBreakerOpenReschedules(t *testing.T, mk maker) {
	cfg := fastConfig()
	g := &gate{}
	g.open.Store(true)
	cfg.Breakers = g
	b := mk(t, cfg)
	var calls atomic.Int32
	b.worker.HandleFunc("pay", func(context.Context, *taskq.Task) (any, error) { calls.Add(1); return nil, nil })
	b.worker.HandleFunc("other", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	b.worker.Configure("pay", worker.TypeConfig{Dependencies: []string{"payments"}})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "pay", nil, taskq.WithMaxRetries(1))
	require.NoError(t, err)
	other, err := b.client.Enqueue(context.Background(), "other", nil)
	require.NoError(t, err)
	waitStatus(t, b, other.ID, taskq.StatusCompleted, 5*time.Second)
	waitFor(t, 5*time.Second, "a few reschedules", func() bool { return b.obs.count(taskq.OutcomeRescheduled) >= 3 })
	require.Zero(t, calls.Load(), "no call while the breaker is open")
	g.open.Store(false)
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 5*time.Second)
	require.Equal(t, 0, got.RetryCount, "an open breaker does not burn retries")
	require.EqualValues(t, 1, calls.Load())
}

func testDelayedTask(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	var ranAt atomic.Int64
	b.worker.HandleFunc("later", func(context.Context, *taskq.Task) (any, error) {
		ranAt.Store(time.Now().UnixNano())
		return nil, nil
	})
	b.start(t)
	due := time.Now().Add(150 * time.Millisecond)
	tk, err := b.client.Enqueue(context.Background(), "later", nil, taskq.WithRunAt(due))
	require.NoError(t, err)
	waitStatus(t, b, tk.ID, taskq.StatusCompleted, 5*time.Second)
	require.GreaterOrEqual(t, ranAt.Load(), due.UnixNano(), "ran before its run_at")
}

func testManyTasksConcurrently(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.Concurrency = 16
	b := mk(t, cfg)
	var inFlight, peak atomic.Int32
	b.worker.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		inFlight.Add(-1)
		return nil, nil
	})
	const n = 500
	reqs := make([]taskq.EnqueueRequest, n)
	for i := range reqs {
		reqs[i] = taskq.EnqueueRequest{Type: "job"}
	}
	_, err := b.client.EnqueueMany(context.Background(), reqs)
	require.NoError(t, err)
	b.start(t)
	waitFor(t, 20*time.Second, "all tasks", func() bool { return b.obs.completed.Load() == n })
	require.LessOrEqual(t, peak.Load(), int32(16), "never more handlers than Concurrency")
	require.Greater(t, peak.Load(), int32(1), "handlers ran concurrently")
}
