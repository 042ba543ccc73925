package worker_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

// TestLifecycle runs the lifecycle cases on every backend kind.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	cases := []backendCase{
		{"StopReturnsWhenCtxEnds", testStopReturnsWhenCtxEnds},
		{"StopAndCancel", testStopAndCancel},
		{"CancelCause", testCancelCause},
		{"DLQRetentionRuns", testDLQRetentionRuns},
	}
	runOnBackends(t, cases)
}

// testStopReturnsWhenCtxEnds: a handler that ignores its context does not
// hold Stop past its ctx; its task is given back without using an attempt
// and completed exactly once by another worker, and the abandoned
// handler's late outcome is dropped.
func testStopReturnsWhenCtxEnds(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	release := make(chan struct{})
	var first atomic.Bool
	var runs atomic.Int32
	b.worker.HandleFunc("stubborn", func(ctx context.Context, tk *taskq.Task) (any, error) {
		runs.Add(1)
		if first.CompareAndSwap(false, true) {
			<-release // ignores ctx
			return map[string]any{"by": "abandoned"}, nil
		}
		return map[string]any{"by": "second"}, nil
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "stubborn", nil)
	require.NoError(t, err)
	waitStatus(t, b, tk.ID, taskq.StatusRunning, 5*time.Second)
	waitFor(t, 5*time.Second, "the handler to run", func() bool { return runs.Load() == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = b.worker.Stop(ctx)
	took := time.Since(start)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, took, 3*time.Second, "Stop waited for a handler that ignores its context")

	back := waitStatus(t, b, tk.ID, taskq.StatusPending, 5*time.Second)
	require.Equal(t, 0, back.RetryCount, "giving the task back used no retry")

	// Another worker completes it; then the abandoned handler returns.
	other, err := worker.New(b.store, b.otherQueue(t), fastConfig())
	require.NoError(t, err)
	other.HandleFunc("stubborn", func(ctx context.Context, tk *taskq.Task) (any, error) {
		runs.Add(1)
		return map[string]any{"by": "second"}, nil
	})
	require.NoError(t, other.Start(context.Background()))
	t.Cleanup(func() { _ = other.Stop(context.Background()) })
	done := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 10*time.Second)
	require.JSONEq(t, `{"by":"second"}`, string(done.Result))
	close(release)
	time.Sleep(50 * time.Millisecond) // let the abandoned handler return (nothing to wait on: its outcome is dropped)
	again, err := b.store.GetTask(context.Background(), tk.ID)
	require.NoError(t, err)
	require.JSONEq(t, `{"by":"second"}`, string(again.Result), "the abandoned handler's outcome was dropped")
	require.Equal(t, taskq.StatusCompleted, again.Status)
}

// testStopAndCancel: StopAndCancel cancels running handlers at once (cause
// ErrShutdown) and gives their tasks back.
func testStopAndCancel(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	causes, started := make(chan error, 1), make(chan struct{})
	b.worker.HandleFunc("long", func(ctx context.Context, tk *taskq.Task) (any, error) {
		close(started)
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return nil, ctx.Err()
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "long", nil)
	require.NoError(t, err)
	// The record is marked running just before the handler starts: wait
	// for the handler itself.
	select {
	case <-started:
	case <-time.After(15 * time.Second):
		t.Fatal("the handler did not start")
	}
	// The handler returns only once cancelled: StopAndCancel returning
	// before its context ends shows it cancelled the handler (the bound
	// catches a hang, not a slow machine).
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, b.worker.StopAndCancel(sctx))
	select {
	case c := <-causes:
		require.ErrorIs(t, c, taskq.ErrShutdown)
	case <-time.After(5 * time.Second):
		t.Fatal("the handler was not cancelled")
	}
	back := waitStatus(t, b, tk.ID, taskq.StatusPending, 15*time.Second)
	require.Equal(t, 0, back.RetryCount)
}

// testCancelCause: a cancelled task's handler sees taskq.ErrTaskCancelled;
// a lease taken away (removed from the queue without a cancelled record)
// gives taskq.ErrLeaseLost.
func testCancelCause(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	causes := make(chan error, 2)
	b.worker.HandleFunc("wait", func(ctx context.Context, tk *taskq.Task) (any, error) {
		<-ctx.Done()
		causes <- context.Cause(ctx)
		return nil, ctx.Err()
	})
	b.start(t)
	ctx := context.Background()
	tk, err := b.client.Enqueue(ctx, "wait", nil)
	require.NoError(t, err)
	waitStatus(t, b, tk.ID, taskq.StatusRunning, 5*time.Second)
	_, err = b.client.Cancel(ctx, tk.ID)
	require.NoError(t, err)
	select {
	case c := <-causes:
		require.ErrorIs(t, c, taskq.ErrTaskCancelled)
		require.NotErrorIs(t, c, taskq.ErrLeaseLost)
	case <-time.After(5 * time.Second):
		t.Fatal("the cancelled handler was not stopped")
	}

	lost, err := b.client.Enqueue(ctx, "wait", nil)
	require.NoError(t, err)
	waitStatus(t, b, lost.ID, taskq.StatusRunning, 5*time.Second)
	require.NoError(t, b.queue.Remove(ctx, lost.Queue, lost.ID)) // the lease goes, the record stays running
	select {
	case c := <-causes:
		require.ErrorIs(t, c, taskq.ErrLeaseLost)
		require.NotErrorIs(t, c, taskq.ErrTaskCancelled)
	case <-time.After(5 * time.Second):
		t.Fatal("the handler of a lost lease was not stopped")
	}
}

// testDLQRetentionRuns: a running worker purges dead letters older than
// the retention without any other Start.
func testDLQRetentionRuns(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.DeadLetterConfig = taskq.DeadLetterQueueConfig{RetentionPeriod: 300 * time.Millisecond, CleanupInterval: 50 * time.Millisecond}
	b := mk(t, cfg)
	b.worker.HandleFunc("doomed", func(ctx context.Context, tk *taskq.Task) (any, error) {
		return nil, taskq.Permanent(fmt.Errorf("no"))
	})
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "doomed", nil)
	require.NoError(t, err)
	waitStatus(t, b, tk.ID, taskq.StatusDeadLetter, 5*time.Second)
	waitFor(t, 10*time.Second, "the retention job to purge the dead letter", func() bool {
		_, err := b.store.GetDeadLetterTask(context.Background(), tk.ID)
		return err != nil
	})
}

// TestRegisterTwicePanics: a second handler for one type is a programming
// error, as in asynq and River.
func TestRegisterTwicePanics(t *testing.T) {
	t.Parallel()
	w, err := worker.New(storage.NewMemory(), queue.NewMemory(), worker.Config{})
	require.NoError(t, err)
	w.HandleFunc("a", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	require.PanicsWithValue(t, `worker: a handler for task type "a" is already registered`, func() {
		w.HandleFunc("a", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	})
	worker.HandleArgs(w, func(context.Context, *taskq.Job[report]) (any, error) { return nil, nil })
	require.Panics(t, func() {
		worker.HandleArgs(w, func(context.Context, *taskq.Job[report]) (any, error) { return nil, nil })
	})
	require.Panics(t, func() { w.Handle("", taskq.HandlerFunc(nil)) })
}

// mismatchQueue is a memory queue bound to another storage.
type mismatchQueue struct{ *queue.Memory }

func (mismatchQueue) BindStorage(context.Context, string) error {
	return taskq.NewStorageMismatchError("default", "other", "this")
}

// TestStartRefusesForeignQueue: a shared queue bound to another storage
// fails Start.
func TestStartRefusesForeignQueue(t *testing.T) {
	t.Parallel()
	w, err := worker.New(storage.NewMemory(), mismatchQueue{queue.NewMemory()}, worker.Config{})
	require.NoError(t, err)
	require.ErrorIs(t, w.Start(context.Background()), taskq.ErrStorageMismatch)
	require.NoError(t, w.Stop(context.Background()))
}

// TestOrphanedLeaseIsReported: an id in the queue without a record is
// dropped with a log line and an Observer call.
func TestOrphanedLeaseIsReported(t *testing.T) {
	t.Parallel()
	b := setup(t, fastConfig())
	b.start(t)
	require.NoError(t, b.queue.Enqueue(context.Background(), taskq.DefaultQueue, taskq.QueueEntry{ID: taskq.NewID()}))
	waitFor(t, 5*time.Second, "the orphaned id to be reported", func() bool { return b.obs.orphaned.Load() == 1 })
	waitFor(t, 5*time.Second, "the orphaned id to leave the queue", func() bool {
		st, err := b.queue.Stats(context.Background(), taskq.DefaultQueue)
		require.NoError(t, err)
		return st.Total() == 0
	})
}

// TestLeaseTTLTooShort: a lease must last at least 10 heartbeats plus the
// tolerated clock skew; New says so.
func TestLeaseTTLTooShort(t *testing.T) {
	for _, cfg := range []worker.Config{
		{LeaseTTL: time.Second, HeartbeatInterval: 200 * time.Millisecond},
		{LeaseTTL: 10 * time.Second, HeartbeatInterval: time.Second, MaxClockSkew: 5 * time.Second},
	} {
		_, err := worker.New(storage.NewMemory(), queue.NewMemory(), cfg)
		require.ErrorContains(t, err, "LeaseTTL")
		require.ErrorContains(t, err, "10 heartbeats")
	}
	for _, cfg := range []worker.Config{
		{LeaseTTL: 300 * time.Millisecond},                                     // heartbeat derived: 30ms
		{LeaseTTL: 15 * time.Second, MaxClockSkew: 5 * time.Second},            // heartbeat derived: 1s
		{LeaseTTL: 2 * time.Second, HeartbeatInterval: 200 * time.Millisecond}, // exactly 10
	} {
		_, err := worker.New(storage.NewMemory(), queue.NewMemory(), cfg)
		require.NoError(t, err, "%+v", cfg)
	}
}
