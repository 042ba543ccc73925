package dlq_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/dlq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type fixture struct {
	store *storage.Memory
	queue *queue.Memory
	dlq   *dlq.DLQ
	obs   *obs
	now   time.Time
	mu    sync.Mutex
}

type obs struct {
	taskq.NopObserver
	mu       sync.Mutex
	evicted  int
	moved    int
	cleanups []taskq.CleanupResult
	failures int
}

func (o *obs) DeadLetterMoved(evicted int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.moved++
	o.evicted += evicted
}

func (o *obs) DeadLetterCleanup(cleaned, remaining int, _ time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		o.failures++
		return
	}
	o.cleanups = append(o.cleanups, taskq.CleanupResult{Cleaned: cleaned, Remaining: remaining})
}

func (o *obs) cleanupCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.cleanups)
}

func setup(t *testing.T, cfg taskq.DeadLetterQueueConfig) *fixture {
	t.Helper()
	f := &fixture{store: storage.NewMemory(), queue: queue.NewMemory(), obs: &obs{}, now: time.Now().UTC()}
	d, err := dlq.New(f.store, f.queue, cfg, dlq.Options{Observer: f.obs, Now: f.clock})
	require.NoError(t, err)
	f.dlq = d
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// running stores a task as a worker would have it when it fails for good.
func (f *fixture) running(t *testing.T, typ string) *taskq.Task {
	t.Helper()
	now := f.clock()
	tk := &taskq.Task{ID: taskq.NewID(), Type: typ, Status: taskq.StatusRunning, Priority: taskq.PriorityHigh,
		Created: now, Updated: now, RunAt: now, Queue: taskq.DefaultQueue, MaxRetries: 2, RetryCount: 2, Metadata: map[string]any{}}
	_, err := f.store.CreateTask(context.Background(), tk)
	require.NoError(t, err)
	return tk
}

func TestNewNeedsDependencies(t *testing.T) {
	t.Parallel()
	_, err := dlq.New(nil, queue.NewMemory(), taskq.DeadLetterQueueConfig{}, dlq.Options{})
	require.ErrorContains(t, err, "StorageAdapter")
	_, err = dlq.New(storage.NewMemory(), nil, taskq.DeadLetterQueueConfig{}, dlq.Options{})
	require.ErrorContains(t, err, "Queue")
	d, err := dlq.New(storage.NewMemory(), queue.NewMemory(), taskq.DeadLetterQueueConfig{}, dlq.Options{})
	require.NoError(t, err)
	require.Equal(t, taskq.DefaultDLQMaxSize, d.Config().MaxSize)
	require.Equal(t, taskq.DefaultDLQRetention, d.Config().RetentionPeriod)
	require.Equal(t, taskq.DefaultDLQRetryLimit, d.Config().RetryLimit)
	require.Equal(t, taskq.DefaultDLQBackoff, d.Config().Backoff)
}

func TestMoveGetList(t *testing.T) {
	t.Parallel()
	f := setup(t, taskq.DeadLetterQueueConfig{})
	ctx := context.Background()
	a := f.running(t, "a")
	require.NoError(t, f.dlq.Move(ctx, a, errors.New("boom")))
	f.advance(time.Second)
	b := f.running(t, "b")
	require.NoError(t, f.dlq.Move(ctx, b, taskq.Permanent(errors.New("bad"))))

	got, err := f.dlq.Get(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusDeadLetter, got.Status)
	require.Equal(t, "boom", got.Error.Message)
	require.NotNil(t, got.DeadLetteredAt)

	page, err := f.dlq.List(ctx, taskq.DeadLetterFilter{})
	require.NoError(t, err)
	require.Len(t, page.Tasks, 2)
	require.Equal(t, a.ID, page.Tasks[0].ID, "oldest entry first")
	page, err = f.dlq.List(ctx, taskq.DeadLetterFilter{Type: "b"})
	require.NoError(t, err)
	require.Len(t, page.Tasks, 1)
	require.Equal(t, b.ID, page.Tasks[0].ID)

	n, err := f.dlq.Size(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, 2, f.obs.moved)

	_, err = f.dlq.Get(ctx, taskq.NewID())
	require.ErrorIs(t, err, taskq.ErrNotFound)
}

func TestMoveTerminalConflicts(t *testing.T) {
	t.Parallel()
	f := setup(t, taskq.DeadLetterQueueConfig{})
	ctx := context.Background()
	tk := f.running(t, "a")
	tk.Status = taskq.StatusCompleted
	require.NoError(t, f.store.UpdateTask(ctx, tk))
	err := f.dlq.Move(ctx, tk.Clone(), errors.New("late"))
	require.ErrorIs(t, err, taskq.ErrConflict, "completed stays completed")
}

func TestSizeCapEvictsOldest(t *testing.T) {
	t.Parallel()
	f := setup(t, taskq.DeadLetterQueueConfig{MaxSize: 3})
	ctx := context.Background()
	var ids []string
	for range 5 {
		tk := f.running(t, "a")
		require.NoError(t, f.dlq.Move(ctx, tk, errors.New("x")))
		ids = append(ids, tk.ID)
		f.advance(time.Second)
	}
	n, err := f.dlq.Size(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, 2, f.obs.evicted)
	for _, id := range ids[:2] {
		_, err := f.store.GetTask(ctx, id)
		require.ErrorIs(t, err, taskq.ErrNotFound, "evicted entries are purged")
	}
	page, err := f.dlq.List(ctx, taskq.DeadLetterFilter{})
	require.NoError(t, err)
	require.Equal(t, ids[2], page.Tasks[0].ID)
}

func TestRetryLimitAndBackoff(t *testing.T) {
	t.Parallel()
	f := setup(t, taskq.DeadLetterQueueConfig{RetryLimit: 2, Backoff: time.Second})
	ctx := context.Background()
	tk := f.running(t, "a")
	require.NoError(t, f.dlq.Move(ctx, tk, errors.New("x")))

	for i, wantDelay := range []time.Duration{time.Second, 2 * time.Second} {
		got, err := f.dlq.Retry(ctx, tk.ID)
		require.NoError(t, err, "retry %d", i+1)
		require.Equal(t, taskq.StatusPending, got.Status)
		require.Equal(t, 0, got.RetryCount)
		require.Equal(t, i+1, got.DLQRetryCount)
		require.Equal(t, f.clock().Add(wantDelay), got.RunAt, "backoff doubles with each DLQ retry")
		st, err := f.queue.Stats(ctx, taskq.DefaultQueue)
		require.NoError(t, err)
		require.EqualValues(t, 1, st.Scheduled, "re-enqueued after the backoff")
		// The retried task fails again: simulate the worker.
		_, err = f.queue.Lease(ctx, taskq.LeaseParams{Queue: taskq.DefaultQueue, Max: 1, TTL: time.Minute, Now: got.RunAt})
		require.NoError(t, err)
		require.NoError(t, f.queue.Ack(ctx, taskq.DefaultQueue, taskq.Lease{ID: tk.ID}))
		started, err := f.store.StartTasks(ctx, []string{tk.ID}, got.RunAt)
		require.NoError(t, err)
		require.Len(t, started, 1)
		require.NoError(t, f.dlq.Move(ctx, started[0], errors.New("again")))
	}
	_, err := f.dlq.Retry(ctx, tk.ID)
	require.ErrorIs(t, err, taskq.ErrConflict, "past the retry limit")
	_, err = f.dlq.Retry(ctx, taskq.NewID())
	require.ErrorIs(t, err, taskq.ErrNotFound)
}

func TestRetryNotInDLQ(t *testing.T) {
	t.Parallel()
	f := setup(t, taskq.DeadLetterQueueConfig{})
	tk := f.running(t, "a")
	_, err := f.dlq.Retry(context.Background(), tk.ID)
	require.ErrorIs(t, err, taskq.ErrNotFound)
}

func TestRemove(t *testing.T) {
	t.Parallel()
	f := setup(t, taskq.DeadLetterQueueConfig{})
	ctx := context.Background()
	tk := f.running(t, "a")
	require.NoError(t, f.dlq.Move(ctx, tk, errors.New("x")))
	require.NoError(t, f.dlq.Remove(ctx, tk.ID))
	_, err := f.store.GetTask(ctx, tk.ID)
	require.ErrorIs(t, err, taskq.ErrNotFound, "purged")
	require.ErrorIs(t, f.dlq.Remove(ctx, tk.ID), taskq.ErrNotFound)
}

func TestCleanupOnDemand(t *testing.T) {
	t.Parallel()
	f := setup(t, taskq.DeadLetterQueueConfig{RetentionPeriod: time.Hour})
	ctx := context.Background()
	old := f.running(t, "a")
	require.NoError(t, f.dlq.Move(ctx, old, errors.New("x")))
	f.advance(2 * time.Hour)
	fresh := f.running(t, "a")
	require.NoError(t, f.dlq.Move(ctx, fresh, errors.New("x")))

	res, err := f.dlq.Cleanup(ctx, time.Time{}) // default: now - retention
	require.NoError(t, err)
	require.Equal(t, taskq.CleanupResult{Cleaned: 1, Remaining: 1}, res)
	_, err = f.store.GetTask(ctx, old.ID)
	require.ErrorIs(t, err, taskq.ErrNotFound)

	res, err = f.dlq.Cleanup(ctx, f.clock().Add(time.Hour)) // a future time purges all
	require.NoError(t, err)
	require.Equal(t, taskq.CleanupResult{Cleaned: 1, Remaining: 0}, res)
	require.Equal(t, 2, f.obs.cleanupCount())
}

func TestCleanupJob(t *testing.T) {
	t.Parallel()
	f := setup(t, taskq.DeadLetterQueueConfig{RetentionPeriod: time.Minute, CleanupInterval: 10 * time.Millisecond})
	ctx := context.Background()
	tk := f.running(t, "a")
	require.NoError(t, f.dlq.Move(ctx, tk, errors.New("x")))
	f.advance(2 * time.Minute)
	require.NoError(t, f.dlq.Start(ctx))
	require.NoError(t, f.dlq.Start(ctx), "Start is idempotent")
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := f.dlq.Size(ctx)
		require.NoError(t, err)
		if n == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "cleanup job did not purge the expired entry")
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, f.dlq.Stop(ctx))
	require.NoError(t, f.dlq.Stop(ctx), "Stop is idempotent")
	require.GreaterOrEqual(t, f.obs.cleanupCount(), 1)
}
