package worker_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/leader/pgleader"
	"github.com/taskq/taskq/leader/redisleader"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/redisstore"
	"github.com/taskq/taskq/worker"
)

// electionStore returns the lease store of the bundle's backends, as the
// server picks it: PostgreSQL, else Redis, else memory (shared, for
// workers in one process).
func electionStore(t *testing.T, b *bundle, mem *leader.MemoryStore) leader.Store {
	t.Helper()
	var (
		s   leader.Store
		err error
	)
	switch st := b.store.(type) {
	case *postgres.Store:
		s, err = pgleader.New(st)
	case *redisstore.Store:
		s, err = redisleader.New(st.Client(), redisleader.Config{KeyPrefix: st.KeyPrefix()})
	default:
		if rq, ok := b.queue.(*redisqueue.Queue); ok {
			s, err = redisleader.New(rq.Client(), redisleader.Config{})
		} else {
			s = mem
		}
	}
	require.NoError(t, err)
	return s
}

// cutLeaseStore is a worker's connection to the lease store that a test
// can cut, as a crash does: while cut every call fails, and a held lease
// stays in the store until it expires. It counts acquisition attempts.
type cutLeaseStore struct {
	leader.Store
	cut      atomic.Bool
	attempts atomic.Int32
}

func (s *cutLeaseStore) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (int64, bool, error) {
	s.attempts.Add(1)
	if s.cut.Load() {
		return 0, false, errCut
	}
	return s.Store.Acquire(ctx, name, holder, ttl)
}

func (s *cutLeaseStore) Renew(ctx context.Context, name, holder string, token int64, ttl time.Duration) (bool, error) {
	if s.cut.Load() {
		return false, errCut
	}
	return s.Store.Renew(ctx, name, holder, token, ttl)
}

func (s *cutLeaseStore) Release(ctx context.Context, name, holder string, token int64) error {
	if s.cut.Load() {
		return errCut
	}
	return s.Store.Release(ctx, name, holder, token)
}

// crashStore is a worker's connection to the storage that a test can cut,
// as a crash does: while cut, reads and writes fail.
type crashStore struct {
	taskq.StorageAdapter
	cut atomic.Bool
}

func (s *crashStore) GetTask(ctx context.Context, id string) (*taskq.Task, error) {
	if s.cut.Load() {
		return nil, errCut
	}
	return s.StorageAdapter.GetTask(ctx, id)
}

func (s *crashStore) StartTasks(ctx context.Context, ids []string, now time.Time) ([]*taskq.Task, error) {
	if s.cut.Load() {
		return nil, errCut
	}
	return s.StorageAdapter.StartTasks(ctx, ids, now)
}

func (s *crashStore) UpdateTask(ctx context.Context, t *taskq.Task, expect ...taskq.TaskStatus) error {
	if s.cut.Load() {
		return errCut
	}
	return s.StorageAdapter.UpdateTask(ctx, t, expect...)
}

func (s *crashStore) UpdateAttempt(ctx context.Context, t *taskq.Task, attempt int) error {
	if s.cut.Load() {
		return errCut
	}
	return s.StorageAdapter.UpdateAttempt(ctx, t, attempt)
}

func (s *crashStore) MoveTaskToDeadLetter(ctx context.Context, t *taskq.Task, maxSize int) (int, error) {
	if s.cut.Load() {
		return 0, errCut
	}
	return s.StorageAdapter.MoveTaskToDeadLetter(ctx, t, maxSize)
}

func (s *crashStore) ListTasks(ctx context.Context, f taskq.TaskFilter) (taskq.TaskPage, error) {
	if s.cut.Load() {
		return taskq.TaskPage{}, errCut
	}
	return s.StorageAdapter.ListTasks(ctx, f)
}

// reapCounter counts a worker's Reap calls.
type reapCounter struct {
	*cutQueue
	reaps atomic.Int32
}

func (q *reapCounter) Reap(ctx context.Context, queue string, max int, ttl time.Duration) ([]taskq.Lease, error) {
	q.reaps.Add(1)
	return q.cutQueue.Reap(ctx, queue, max, ttl)
}

// Election timing of the failover test: short, so failover happens within
// the test; the bound is TTL + RetryInterval.
const (
	electTTL   = 600 * time.Millisecond
	electRenew = 150 * time.Millisecond
)

var electionSeq atomic.Int64

// TestMaintenance runs the maintenance cases on every backend kind.
func TestMaintenance(t *testing.T) {
	t.Parallel()
	runOnBackends(t, []backendCase{
		{"Failover", testMaintenanceFailover},
		{"FinishedRetention", testFinishedRetention},
	})
}

// testMaintenanceFailover kills the elected worker: two workers share the
// backends and an election (PostgreSQL, Redis or memory lease store, as
// the server picks it). Only the leader reaps. Worker A leads and runs a
// task; then A crashes: its connections to the queue, the storage and the
// lease store fail, it neither resigns nor gives the task back. B is elected within
// the lease TTL plus the retry interval (plus scheduling slack), reaps the
// task A left once its lease expires, counts the lost attempt and
// completes it.
func testMaintenanceFailover(t *testing.T, mk maker) {
	ctx := context.Background()
	cfg := shortLeases()
	// Long enough that a loaded machine does not expire A's lease before
	// the crash (A would then give the task back uncounted and B run it
	// as attempt 1, which make stress saw once), short enough for B to
	// reap it soon after.
	cfg.LeaseTTL = time.Second
	b := mk(t, cfg)
	ls := electionStore(t, b, leader.NewMemoryStore(nil))
	name := fmt.Sprintf("maint-%d", electionSeq.Add(1))

	newWorker := func(holder string) (*worker.Worker, *reapCounter, *cutLeaseStore, *crashStore, *leader.Elector, *countingObserver) {
		cls := &cutLeaseStore{Store: ls}
		cs := &crashStore{StorageAdapter: b.store}
		e, err := leader.New(cls, leader.Config{Name: name, Holder: holder, TTL: electTTL, RenewInterval: electRenew})
		require.NoError(t, err)
		q := &reapCounter{cutQueue: &cutQueue{Queue: b.otherQueue(t)}}
		obs := &countingObserver{}
		c := cfg
		c.Elector, c.Observer = e, obs
		w, err := worker.New(cs, q, c)
		require.NoError(t, err)
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = w.StopAndCancel(sctx)
		})
		return w, q, cls, cs, e, obs
	}

	a, qa, lsa, sa, ea, _ := newWorker("A")
	started := make(chan string, 1)
	a.HandleFunc("job", func(ctx context.Context, tk *taskq.Task) (any, error) {
		started <- tk.ID
		<-ctx.Done() // A's lease expires by its own clock once it is cut off
		return nil, ctx.Err()
	})
	require.NoError(t, a.Start(ctx))
	waitFor(t, 5*time.Second, "A elected", func() bool { _, ok := ea.Leader(); return ok })
	tk, err := b.client.Enqueue(ctx, "job", nil, taskq.WithMaxRetries(3))
	require.NoError(t, err)
	select {
	case id := <-started:
		require.Equal(t, tk.ID, id)
	case <-time.After(10 * time.Second):
		t.Fatal("A did not start the task")
	}

	bw, qb, lsb, _, eb, obsB := newWorker("B")
	bw.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) { return "by B", nil })
	require.NoError(t, bw.Start(ctx))
	// Generous: under heavy load (the suite and its stress loops sharing
	// two cores) three campaigns took longer than 5 s once.
	waitFor(t, 15*time.Second, "B to campaign a few times", func() bool { return lsb.attempts.Load() >= 3 })
	_, bLeads := eb.Leader()
	require.False(t, bLeads, "one leader at a time")
	require.Zero(t, qb.reaps.Load(), "a follower does not reap")
	require.Positive(t, qa.reaps.Load(), "the leader reaps")

	// A crashes: no resignation, no give-back, no write.
	crashed := time.Now()
	qa.cut.Store(true)
	lsa.cut.Store(true)
	sa.cut.Store(true)

	waitFor(t, 10*time.Second, "B elected", func() bool { _, ok := eb.Leader(); return ok })
	took := time.Since(crashed)
	_, aLeads := ea.Leader()
	require.False(t, aLeads, "A stepped down once it could not renew")
	bound := electTTL + electRenew // TTL + RetryInterval (= RenewInterval)
	t.Logf("B elected %s after A crashed (bound %s plus scheduling slack)", took.Round(time.Millisecond), bound)
	require.Less(t, took, bound+time.Second, "failover took longer than the lease TTL plus the retry interval")

	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 15*time.Second)
	require.JSONEq(t, `"by B"`, string(got.Result))
	require.Equal(t, 2, got.Attempts, "A's lost attempt counts")
	require.Equal(t, 1, obsB.recoveredCount(taskq.RecoveredLeaseExpired), "B reaped the lease A left")
	require.Positive(t, qb.reaps.Load())
}

// testFinishedRetention: a worker deletes completed and cancelled records
// once they are older than TaskRetention and reports the count; other
// records stay.
func testFinishedRetention(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.TaskRetention, cfg.RetentionInterval = 200*time.Millisecond, 50*time.Millisecond
	b := mk(t, cfg)
	obs := &retentionObserver{}
	cfg.Observer = obs
	ctx := context.Background()
	w, err := worker.New(b.store, b.otherQueue(t), cfg)
	require.NoError(t, err)
	w.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	var ids []string
	for range 5 {
		tk, err := b.client.Enqueue(ctx, "job", nil)
		require.NoError(t, err)
		ids = append(ids, tk.ID)
	}
	cancelled, err := b.client.Enqueue(ctx, "job", nil, taskq.WithDelay(time.Hour))
	require.NoError(t, err)
	_, err = b.client.Cancel(ctx, cancelled.ID)
	require.NoError(t, err)
	later, err := b.client.Enqueue(ctx, "other", nil, taskq.WithDelay(time.Hour))
	require.NoError(t, err)
	require.NoError(t, w.Start(ctx))
	t.Cleanup(func() { _ = w.Stop(context.Background()) })
	for _, id := range append(ids, cancelled.ID) {
		waitFor(t, 15*time.Second, "finished task "+id+" deleted", func() bool {
			_, err := b.store.GetTask(ctx, id)
			return errors.Is(err, taskq.ErrNotFound)
		})
	}
	// The worker reports a pass's deletions after the pass returns, so the
	// records can be gone a moment before the observer hears of them.
	waitFor(t, 15*time.Second, "six deletions reported", func() bool { return obs.deleted.Load() >= 6 })
	got, err := b.store.GetTask(ctx, later.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusPending, got.Status)
}

// retentionObserver counts deleted finished records.
type retentionObserver struct {
	countingObserver
	deleted atomic.Int64
}

func (o *retentionObserver) FinishedDeleted(n int) { o.deleted.Add(int64(n)) }
