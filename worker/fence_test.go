package worker_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/redisstore"
	"github.com/taskq/taskq/worker"
)

// fenceBackends are the backend kinds of the fencing cases: every kind of
// the end-to-end suite, plus the Redis store under the Redis queue.
func fenceBackends() []backend {
	return append(append([]backend(nil), backends...), backend{"redisstore", func(parent *testing.T) maker {
		url := testenv.StartRedis(parent).URL()
		return func(t *testing.T, cfg worker.Config) *bundle {
			s, err := redisstore.NewFromURL(url, redisstore.Config{KeyPrefix: fmt.Sprintf("s%d", prefixSeq.Add(1))})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return withRedis(t, url, s, cfg)
		}
	}})
}

// TestFencing runs the fencing cases on every backend kind: a worker cut
// off from the backends whose lease was reaped and given to another worker
// changes nothing of the newer attempt; a worker stops handlers whose
// leases expired by its own clock; outages do not cost attempts.
func TestFencing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		fn   func(t *testing.T, mk maker)
	}{
		{"StaleSuccessChangesNothing", func(t *testing.T, mk maker) { testStaleOutcome(t, mk, false) }},
		{"StaleFailureChangesNothing", func(t *testing.T, mk maker) { testStaleOutcome(t, mk, true) }},
		{"SelfFence", testSelfFence},
		{"StorageOutageIsNotAnAttempt", testStorageOutage},
		{"QueueOutageIsNotAnAttempt", testQueueOutage},
		{"PartitionedWorkerIsNotAnAttempt", testPartitionedWorker},
		{"ReaperGraceAfterOutage", testReaperGrace},
		{"PrefetchedNotRunning", testPrefetchedNotRunning},
		{"PrefetchHandBack", testPrefetchHandBack},
		{"CancelWithoutRemoval", testCancelWithoutRemoval},
	}
	for _, be := range fenceBackends() {
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

// cutQueue is a worker's connection to the queue backend that a test can
// cut: while cut, every call fails as an unreachable backend does.
type cutQueue struct {
	taskq.Queue
	cut atomic.Bool
}

var errCut = &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "network partition"}

func (q *cutQueue) Lease(ctx context.Context, p taskq.LeaseParams) ([]taskq.Lease, error) {
	if q.cut.Load() {
		return nil, errCut
	}
	return q.Queue.Lease(ctx, p)
}

func (q *cutQueue) Extend(ctx context.Context, queue string, leases []taskq.Lease, ttl time.Duration) ([]taskq.Lease, error) {
	if q.cut.Load() {
		return nil, errCut
	}
	return q.Queue.Extend(ctx, queue, leases, ttl)
}

func (q *cutQueue) Ack(ctx context.Context, queue string, leases ...taskq.Lease) error {
	if q.cut.Load() {
		return errCut
	}
	return q.Queue.Ack(ctx, queue, leases...)
}

func (q *cutQueue) Requeue(ctx context.Context, queue string, e taskq.QueueEntry) error {
	if q.cut.Load() {
		return errCut
	}
	return q.Queue.Requeue(ctx, queue, e)
}

func (q *cutQueue) Reap(ctx context.Context, queue string, max int, ttl time.Duration) ([]taskq.Lease, error) {
	if q.cut.Load() {
		return nil, errCut
	}
	return q.Queue.Reap(ctx, queue, max, ttl)
}

func (q *cutQueue) Wait(ctx context.Context, queue string, max time.Duration) error {
	if q.cut.Load() {
		return errCut
	}
	return q.Queue.Wait(ctx, queue, max)
}

func (q *cutQueue) Ping(ctx context.Context) error {
	if q.cut.Load() {
		return errCut
	}
	return q.Queue.Ping(ctx)
}

// slowStore is a worker's connection to the storage that a test can stall
// (outcome writes wait at a gate, as in a long pause of the process or a
// slow network) or take down (outcome writes fail as unavailable).
type slowStore struct {
	taskq.StorageAdapter
	stall   atomic.Bool
	stalled chan struct{} // receives once per stalled write
	gate    chan struct{} // closed to let stalled writes through
	down    atomic.Bool
	failed  atomic.Int32 // writes refused while down
	writes  atomic.Int32 // outcome writes that reached the storage
}

func newSlowStore(s taskq.StorageAdapter) *slowStore {
	return &slowStore{StorageAdapter: s, stalled: make(chan struct{}, 16), gate: make(chan struct{})}
}

func (s *slowStore) before() error {
	if s.stall.Load() {
		s.stalled <- struct{}{}
		<-s.gate
	}
	if s.down.Load() {
		s.failed.Add(1)
		return errCut
	}
	s.writes.Add(1)
	return nil
}

func (s *slowStore) UpdateAttempt(ctx context.Context, t *taskq.Task, attempt int) error {
	if err := s.before(); err != nil {
		return err
	}
	return s.StorageAdapter.UpdateAttempt(ctx, t, attempt)
}

func (s *slowStore) UpdateTask(ctx context.Context, t *taskq.Task, expect ...taskq.TaskStatus) error {
	if err := s.before(); err != nil {
		return err
	}
	return s.StorageAdapter.UpdateTask(ctx, t, expect...)
}

func (s *slowStore) MoveTaskToDeadLetter(ctx context.Context, t *taskq.Task, maxSize int) (int, error) {
	if err := s.before(); err != nil {
		return 0, err
	}
	return s.StorageAdapter.MoveTaskToDeadLetter(ctx, t, maxSize)
}

// shortLeases is fastConfig with leases short enough to expire in a test.
func shortLeases() worker.Config {
	cfg := fastConfig()
	cfg.LeaseTTL = 300 * time.Millisecond
	return cfg
}

// testStaleOutcome: worker A runs attempt 1; its outcome write stalls
// (after A checked its lease) while A is cut off from the queue, so its
// lease expires; worker B reaps it, counts the lost attempt and starts
// attempt 2. When A's write goes through at last, it changes nothing:
// attempt 2's record, lease and handler are untouched, and attempt 2's
// outcome is the one recorded.
func testStaleOutcome(t *testing.T, mk maker, failing bool) {
	cfg := shortLeases()
	b := mk(t, cfg)
	ctx := context.Background()
	aq := &cutQueue{Queue: b.otherQueue(t)}
	as := newSlowStore(b.store)
	a, err := worker.New(as, aq, cfg)
	require.NoError(t, err)
	inA, finishA := make(chan struct{}, 1), make(chan struct{})
	a.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) {
		inA <- struct{}{}
		<-finishA
		if failing {
			return nil, taskq.Permanent(fmt.Errorf("stale failure"))
		}
		return "stale", nil
	})
	require.NoError(t, a.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.Stop(sctx)
	})
	tk, err := b.client.Enqueue(ctx, "job", nil, taskq.WithMaxRetries(3))
	require.NoError(t, err)
	<-inA

	as.stall.Store(true)
	close(finishA)
	<-as.stalled // A checked its lease and sent its write, which stalls
	aq.cut.Store(true)

	inB, finishB := make(chan context.Context, 1), make(chan struct{})
	b.worker.HandleFunc("job", func(ctx context.Context, tk *taskq.Task) (any, error) {
		inB <- ctx
		<-finishB
		return "fresh", nil
	})
	b.start(t)
	var bctx context.Context
	select {
	case bctx = <-inB:
	case <-time.After(10 * time.Second):
		t.Fatal("attempt 2 did not start")
	}
	before, err := b.store.GetTask(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusRunning, before.Status)
	require.Equal(t, 2, before.Attempts)

	as.stall.Store(false)
	close(as.gate) // A's stale write reaches the storage now
	aq.cut.Store(false)
	waitFor(t, 5*time.Second, "A's stale write", func() bool { return as.writes.Load() >= 1 })
	// Stop A: it records nothing more once stopped.
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, a.Stop(sctx))

	cur, err := b.store.GetTask(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusRunning, cur.Status, "a stale attempt's outcome overwrote the running attempt")
	require.Equal(t, 2, cur.Attempts, "attempts moved backwards")
	require.Nil(t, cur.Result)
	st, err := b.queue.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.Equal(t, int64(1), st.Leased, "attempt 2's lease was removed")
	require.NoError(t, bctx.Err(), "attempt 2's handler was cancelled")

	close(finishB)
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 10*time.Second)
	require.JSONEq(t, `"fresh"`, string(got.Result))
	require.Equal(t, 2, got.Attempts)
	n, err := b.store.CountDeadLetterTasks(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a stale failure dead-lettered the task")
}

// testSelfFence: a worker cut off from the queue stops its handler (cause
// taskq.ErrLeaseLost) once the lease expired by its own clock, and records
// nothing, even when the handler returns a result after that.
func testSelfFence(t *testing.T, mk maker) {
	cfg := shortLeases()
	b := mk(t, cfg)
	ctx := context.Background()
	q := &cutQueue{Queue: b.otherQueue(t)}
	s := newSlowStore(b.store)
	w, err := worker.New(s, q, cfg)
	require.NoError(t, err)
	started, cause := make(chan struct{}, 1), make(chan error, 1)
	w.HandleFunc("job", func(ctx context.Context, _ *taskq.Task) (any, error) {
		started <- struct{}{}
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return "too late", nil // ignores its context: must not be recorded
	})
	require.NoError(t, w.Start(ctx))
	tk, err := b.client.Enqueue(ctx, "job", nil)
	require.NoError(t, err)
	<-started
	cut := time.Now()
	q.cut.Store(true)
	select {
	case c := <-cause:
		require.ErrorIs(t, c, taskq.ErrLeaseLost)
		require.Less(t, time.Since(cut), cfg.LeaseTTL+time.Second)
	case <-time.After(10 * time.Second):
		t.Fatal("the handler of an expired lease was not stopped")
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, w.Stop(sctx))
	// The handler's late result is not recorded: the worker only gives the
	// task back (one fenced write), without counting the attempt.
	require.Equal(t, int32(1), s.writes.Load(), "a self-fenced worker wrote more than its give-back")
	cur, err := b.store.GetTask(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusPending, cur.Status)
	require.Zero(t, cur.Attempts)
	require.Zero(t, cur.RetryCount)
	require.Nil(t, cur.Result)
}

// testPartitionedWorker: a worker cut from the queue backend only (its
// storage still answers) while a handler runs stops the handler by its own
// clock and gives the task back; another worker, which reaps the expired
// lease, runs it again without counting the first attempt as failed: the
// partitioned worker was alive. With no retries allowed, the task still
// completes.
func testPartitionedWorker(t *testing.T, mk maker) {
	cfg := shortLeases()
	b := mk(t, cfg)
	ctx := context.Background()
	q := &cutQueue{Queue: b.otherQueue(t)}
	cutOff, err := worker.New(b.store, q, cfg)
	require.NoError(t, err)
	stopped := make(chan struct{}, 1)
	var runs atomic.Int32
	handler := func(ctx context.Context, _ *taskq.Task) (any, error) {
		if runs.Add(1) == 1 {
			q.cut.Store(true) // the partition begins while the first attempt runs
			<-ctx.Done()
			stopped <- struct{}{}
			return nil, ctx.Err()
		}
		return "ok", nil
	}
	cutOff.HandleFunc("job", handler)
	require.NoError(t, cutOff.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = cutOff.Stop(sctx)
	})
	tk, err := b.client.Enqueue(ctx, "job", nil, taskq.WithMaxRetries(0))
	require.NoError(t, err)
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler was not stopped during the partition")
	}
	// The cut-off worker gives the task back through the storage it still
	// reaches; then another worker reaps the expired lease.
	back := waitStatus(t, b, tk.ID, taskq.StatusPending, 15*time.Second)
	require.Zero(t, back.Attempts, "the attempt is given back")
	b.worker.HandleFunc("job", handler)
	b.start(t)
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 15*time.Second)
	require.Zero(t, got.RetryCount, "the partition used a retry")
	require.Equal(t, 1, got.Attempts, "the partition counted an attempt")
	require.Equal(t, int32(2), runs.Load())
	require.True(t, q.cut.Load(), "the first worker stayed partitioned")
}

// testStorageOutage: the storage is unavailable when a handler succeeds;
// the worker retries the outcome write under its lease and records the
// success once storage is back, without a lease expiry or a second
// attempt.
func testStorageOutage(t *testing.T, mk maker) {
	cfg := shortLeases()
	// A second rather than shortLeases' 300 ms: the worker must keep its
	// lease through the outage, and under CPU load (make stress) a
	// heartbeat took longer than the 270 ms a 300 ms lease leaves, so the
	// worker stopped itself, which is another test's subject.
	cfg.LeaseTTL = time.Second
	b := mk(t, cfg)
	ctx := context.Background()
	s := newSlowStore(b.store)
	w, err := worker.New(s, b.otherQueue(t), cfg)
	require.NoError(t, err)
	var runs atomic.Int32
	var downAt atomic.Int64
	w.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) {
		runs.Add(1)
		s.down.Store(true) // storage goes down as the handler returns
		downAt.Store(time.Now().UnixNano())
		return "ok", nil
	})
	require.NoError(t, w.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Stop(sctx)
	})
	tk, err := b.client.Enqueue(ctx, "job", nil)
	require.NoError(t, err)
	// Down for longer than two leases (retries 50, 100, 200, 400 ms ...
	// apart): the worker keeps the lease alive and retries.
	waitFor(t, 20*time.Second, "failed outcome writes for two leases", func() bool {
		at := downAt.Load()
		return s.failed.Load() >= 5 && at != 0 && time.Since(time.Unix(0, at)) > 2*cfg.LeaseTTL
	})
	s.down.Store(false)
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 10*time.Second)
	require.Equal(t, 1, got.Attempts, "the outage counted an attempt")
	require.Zero(t, got.RetryCount)
	require.Equal(t, int32(1), runs.Load())
	require.JSONEq(t, `"ok"`, string(got.Result))
}

// testQueueOutage: the queue backend is unreachable for longer than a
// lease while a handler runs. The worker stops the handler (its lease
// expired by its own clock) and records nothing; once the backend is back
// the reaper waits a lease TTL, then puts the task back without counting
// the attempt, and the task runs again and completes with no retry used.
func testQueueOutage(t *testing.T, mk maker) {
	cfg := shortLeases()
	b := mk(t, cfg)
	ctx := context.Background()
	q := &cutQueue{Queue: b.otherQueue(t)}
	w, err := worker.New(b.store, q, cfg)
	require.NoError(t, err)
	stopped := make(chan struct{}, 1)
	var runs atomic.Int32
	w.HandleFunc("job", func(ctx context.Context, _ *taskq.Task) (any, error) {
		if runs.Add(1) == 1 {
			q.cut.Store(true) // the outage begins while the first attempt runs
			<-ctx.Done()
			stopped <- struct{}{}
			return nil, ctx.Err()
		}
		return "ok", nil
	})
	require.NoError(t, w.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Stop(sctx)
	})
	tk, err := b.client.Enqueue(ctx, "job", nil, taskq.WithMaxRetries(0))
	require.NoError(t, err)
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler was not stopped during the outage")
	}
	q.cut.Store(false)
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 15*time.Second)
	require.Zero(t, got.RetryCount, "the outage used a retry")
	require.Equal(t, 1, got.Attempts, "the outage counted an attempt")
	require.Equal(t, int32(2), runs.Load())
}

// testPrefetchedNotRunning: tasks leased ahead of a free handler slot stay
// pending until their handlers start.
func testPrefetchedNotRunning(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.Concurrency, cfg.Prefetch = 1, 3
	cfg.PrefetchWait = time.Minute
	b := mk(t, cfg)
	ctx := context.Background()
	started, release := make(chan string, 8), make(chan struct{})
	b.worker.HandleFunc("job", func(_ context.Context, tk *taskq.Task) (any, error) {
		started <- tk.ID
		<-release
		return nil, nil
	})
	var ids []string
	for range 4 {
		tk, err := b.client.Enqueue(ctx, "job", nil)
		require.NoError(t, err)
		ids = append(ids, tk.ID)
	}
	b.start(t)
	first := <-started
	waitFor(t, 5*time.Second, "every task leased", func() bool {
		st, err := b.queue.Stats(ctx, taskq.DefaultQueue)
		require.NoError(t, err)
		return st.Leased == 4
	})
	for _, id := range ids {
		if id == first {
			continue
		}
		cur, err := b.store.GetTask(ctx, id)
		require.NoError(t, err)
		require.Equal(t, taskq.StatusPending, cur.Status, "a prefetched task was marked running before its handler started")
		require.Zero(t, cur.Attempts)
	}
	close(release)
	for _, id := range ids {
		waitStatus(t, b, id, taskq.StatusCompleted, 10*time.Second)
	}
}

// testPrefetchHandBack: tasks prefetched by a worker whose only handler is
// busy are given back after PrefetchWait, and an idle worker runs them,
// with no retry used.
func testPrefetchHandBack(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.Concurrency, cfg.Prefetch = 1, 4
	cfg.PrefetchWait = 100 * time.Millisecond
	b := mk(t, cfg)
	ctx := context.Background()
	release := make(chan struct{})
	defer close(release)
	blocking := make(chan struct{}, 1)
	b.worker.HandleFunc("slow", func(context.Context, *taskq.Task) (any, error) {
		blocking <- struct{}{}
		<-release
		return nil, nil
	})
	b.worker.HandleFunc("quick", func(context.Context, *taskq.Task) (any, error) { return "busy worker", nil })
	_, err := b.client.Enqueue(ctx, "slow", nil, taskq.WithPriority(taskq.PriorityCritical))
	require.NoError(t, err)
	b.start(t)
	<-blocking
	var ids []string
	for range 3 {
		tk, err := b.client.Enqueue(ctx, "quick", nil)
		require.NoError(t, err)
		ids = append(ids, tk.ID)
	}
	waitFor(t, 5*time.Second, "the quick tasks prefetched", func() bool {
		st, err := b.queue.Stats(ctx, taskq.DefaultQueue)
		require.NoError(t, err)
		return st.Leased >= 2
	})
	idle, err := worker.New(b.store, b.otherQueue(t), fastConfig())
	require.NoError(t, err)
	idle.HandleFunc("quick", func(context.Context, *taskq.Task) (any, error) { return "idle worker", nil })
	require.NoError(t, idle.Start(ctx))
	defer func() { require.NoError(t, idle.Stop(context.Background())) }()
	for _, id := range ids {
		got := waitStatus(t, b, id, taskq.StatusCompleted, 10*time.Second)
		require.JSONEq(t, `"idle worker"`, string(got.Result))
		require.Zero(t, got.RetryCount)
		require.Equal(t, 1, got.Attempts)
	}
}

// testCancelWithoutRemoval: a cancel that wrote the record but crashed
// before removing the id from the queue still stops the running handler,
// by the heartbeat's check of the held tasks' records.
func testCancelWithoutRemoval(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	ctx := context.Background()
	started, cause := make(chan *taskq.Task, 1), make(chan error, 1)
	b.worker.HandleFunc("job", func(ctx context.Context, tk *taskq.Task) (any, error) {
		started <- tk
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return nil, ctx.Err()
	})
	b.start(t)
	tk, err := b.client.Enqueue(ctx, "job", nil)
	require.NoError(t, err)
	running := <-started
	// The first half of a cancel: the record only.
	cancelled := running.Clone()
	cancelled.Status = taskq.StatusCancelled
	cancelled.CompletedAt = new(time.Now().UTC())
	cancelled.Updated = time.Now().UTC()
	require.NoError(t, b.store.UpdateTask(ctx, cancelled, taskq.StatusRunning))
	select {
	case c := <-cause:
		require.Equal(t, taskq.ErrTaskCancelled, c)
	case <-time.After(10 * time.Second):
		t.Fatal("the handler of a cancelled task was not stopped")
	}
	waitFor(t, 5*time.Second, "the lease acknowledged", func() bool {
		st, err := b.queue.Stats(ctx, taskq.DefaultQueue)
		require.NoError(t, err)
		return st.Total() == 0
	})
	cur, err := b.store.GetTask(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCancelled, cur.Status)
}

// testReaperGrace: a reaper that could not reach the queue backend waits
// one LeaseTTL after it is back before it reaps, and puts back the leases
// that expired meanwhile without counting an attempt.
func testReaperGrace(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.LeaseTTL, cfg.HeartbeatInterval = time.Second, 50*time.Millisecond
	b := mk(t, cfg)
	ctx := context.Background()

	// A holder that dies with its task.
	hq := &cutQueue{Queue: b.otherQueue(t)}
	holder, err := worker.New(b.store, hq, cfg)
	require.NoError(t, err)
	inHolder, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	holder.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) {
		inHolder <- struct{}{}
		<-release
		return "dead", nil
	})
	require.NoError(t, holder.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = holder.Stop(sctx)
	})
	tk, err := b.client.Enqueue(ctx, "job", nil, taskq.WithMaxRetries(0))
	require.NoError(t, err)
	<-inHolder

	// The reaper starts cut off, then the holder dies.
	rq := &cutQueue{Queue: b.otherQueue(t)}
	rq.cut.Store(true)
	rcfg := cfg
	obs := &countingObserver{}
	rcfg.Observer = obs
	reaper, err := worker.New(b.store, rq, rcfg)
	require.NoError(t, err)
	reaper.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) { return "reaper", nil })
	require.NoError(t, reaper.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = reaper.Stop(sctx)
	})
	hq.cut.Store(true)
	waitFor(t, 10*time.Second, "the dead holder's lease to expire", func() bool {
		cur, err := b.store.GetTask(ctx, tk.ID)
		require.NoError(t, err)
		return cur.Status == taskq.StatusRunning && time.Since(cur.Updated) > cfg.LeaseTTL
	})
	healed := time.Now()
	rq.cut.Store(false)
	waitFor(t, 10*time.Second, "the reaper to take the lease back", func() bool {
		return obs.recoveredCount(taskq.RecoveredLeaseExpired) > 0
	})
	require.GreaterOrEqual(t, time.Since(healed), cfg.LeaseTTL-cfg.HeartbeatInterval, "reaped within the grace period")
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 10*time.Second)
	require.JSONEq(t, `"reaper"`, string(got.Result))
	require.Zero(t, got.RetryCount, "the outage used a retry")
	require.Equal(t, 1, got.Attempts)
}
