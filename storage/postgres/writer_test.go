package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func newPending(n int) []*taskq.Task {
	now := time.Now().UTC()
	ts := make([]*taskq.Task, n)
	for i := range ts {
		ts[i] = &taskq.Task{ID: taskq.NewID(), Type: "bench", Status: taskq.StatusPending,
			Priority: taskq.PriorityMedium, Created: now, Updated: now, RunAt: now, Queue: "default",
			MaxRetries: 3, Metadata: map[string]any{"i": i}}
	}
	return ts
}

// runTogether runs f(i) for i in [0,n) in n goroutines released at once.
func runTogether(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// Concurrent updates share round trips, and each one is applied.
func TestGroupCommitBatchesConcurrentUpdates(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	const n = 300
	ts := newPending(n)
	require.NoError(t, s.CreateTasks(ctx, ts))
	before := s.WriterStats()
	errs := make([]error, n)
	runTogether(n, func(i int) {
		c := ts[i].Clone()
		c.Status, c.Attempts = taskq.StatusRunning, 1
		errs[i] = s.UpdateTask(ctx, c, taskq.StatusPending)
	})
	for i, err := range errs {
		require.NoError(t, err, "update %d", i)
	}
	after := s.WriterStats()
	calls, stmts, batches := after.Calls-before.Calls, after.Statements-before.Statements, after.Batches-before.Batches
	require.Equal(t, int64(n), calls)
	require.Less(t, batches, calls, "concurrent updates must share round trips")
	require.Equal(t, batches, stmts, "the updates of one batch must share one statement")
	t.Logf("%d updates in %d round trips (%.1f calls per round trip)", calls, batches, float64(calls)/float64(batches))
	for _, task := range ts {
		got, err := s.GetTask(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, taskq.StatusRunning, got.Status)
		require.Equal(t, 1, got.Attempts)
	}
}

// Every caller in one batch gets its own outcome: applied, conflict, not
// found, invalid; a failing statement does not fail its neighbours.
func TestGroupCommitPerItemOutcomes(t *testing.T) {
	t.Parallel()
	// A long window so that the calls released together share a batch.
	s := NewTestStore(t, Config{BatchWindow: 300 * time.Millisecond})
	ctx := t.Context()
	ts := newPending(4)
	require.NoError(t, s.CreateTasks(ctx, ts))
	done := ts[1].Clone()
	done.Status = taskq.StatusCompleted
	require.NoError(t, s.UpdateTask(ctx, done))

	before := s.WriterStats()
	errs := make([]error, 5)
	runTogether(5, func(i int) {
		switch i {
		case 0: // applies
			c := ts[0].Clone()
			c.Status = taskq.StatusRunning
			errs[i] = s.UpdateTask(ctx, c, taskq.StatusPending)
		case 1: // completed stays completed
			c := ts[1].Clone()
			c.Status = taskq.StatusRunning
			errs[i] = s.UpdateTask(ctx, c, taskq.StatusPending, taskq.StatusFailed)
		case 2: // missing
			c := ts[2].Clone()
			c.ID = taskq.NewID()
			errs[i] = s.UpdateTask(ctx, c)
		case 3: // breaks the priority CHECK: the batch rolls back and re-runs alone
			c := ts[3].Clone()
			c.Priority = 9
			errs[i] = s.UpdateTask(ctx, c)
		case 4: // starts
			var got []*taskq.Task
			got, errs[i] = s.StartTasks(ctx, []string{ts[2].ID, ts[1].ID}, time.Now())
			if errs[i] == nil && (len(got) != 1 || got[0].ID != ts[2].ID) {
				errs[i] = taskq.ErrInternal
			}
		}
	})
	require.NoError(t, errs[0])
	require.ErrorIs(t, errs[1], taskq.ErrConflict)
	require.ErrorIs(t, errs[2], taskq.ErrNotFound)
	require.ErrorIs(t, errs[3], taskq.ErrValidation)
	require.NoError(t, errs[4])
	after := s.WriterStats()
	require.GreaterOrEqual(t, after.Fallbacks-before.Fallbacks, int64(1), "the failing statement shared a batch")

	for i, want := range []taskq.TaskStatus{taskq.StatusRunning, taskq.StatusCompleted, taskq.StatusRunning, taskq.StatusPending} {
		got, err := s.GetTask(ctx, ts[i].ID)
		require.NoError(t, err)
		require.Equal(t, want, got.Status, "task %d", i)
	}
	got, err := s.GetTask(ctx, ts[3].ID)
	require.NoError(t, err)
	require.Equal(t, taskq.PriorityMedium, got.Priority, "the invalid update left no trace")
}

// A caller whose context ends gets its context error and the writer goes
// on serving others.
func TestGroupCommitCallerContext(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ts := newPending(1)
	require.NoError(t, s.CreateTasks(t.Context(), ts))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c := ts[0].Clone()
	c.Status = taskq.StatusRunning
	err := s.UpdateTask(ctx, c)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	require.NoError(t, s.UpdateTask(t.Context(), c, taskq.StatusPending))
}

func TestWriterCloseFailsQueuedCalls(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	ts := newPending(50)
	require.NoError(t, s.CreateTasks(ctx, ts))
	errs := make([]error, len(ts))
	var wg sync.WaitGroup
	for i := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ts[i].Clone()
			c.Status = taskq.StatusRunning
			errs[i] = s.UpdateTask(ctx, c, taskq.StatusPending)
		}()
	}
	require.NoError(t, s.Close())
	wg.Wait()
	// Each call either committed before Close or failed as unavailable;
	// the record says which.
	for i, err := range errs {
		if err != nil {
			require.ErrorIs(t, err, taskq.ErrUnavailable, "update %d", i)
		}
	}
}

// StartTasks has a batch in flight of its own: it completes while a batch
// of other writes is stuck (here on a row lock held elsewhere).
func TestStartTasksDoNotQueueBehindOtherWrites(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{}) // MaxInFlight 2: one for starts, one for the rest
	ctx := t.Context()
	ts := newPending(2)
	require.NoError(t, s.CreateTasks(ctx, ts))
	tx, err := s.pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	_, err = tx.Exec(ctx, "SELECT 1 FROM taskq.tasks WHERE id = $1 FOR UPDATE", ts[0].ID)
	require.NoError(t, err)

	updated := make(chan error, 1)
	go func() {
		c := ts[0].Clone()
		c.Status = taskq.StatusRunning
		updated <- s.UpdateTask(ctx, c, taskq.StatusPending)
	}()
	require.Eventually(t, func() bool { // the update's batch waits for the lock
		var n int
		err := s.pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&n)
		return err == nil && n == 1
	}, 10*time.Second, 5*time.Millisecond)

	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	started, err := s.StartTasks(sctx, []string{ts[1].ID}, time.Now())
	require.NoError(t, err)
	require.Len(t, started, 1)
	select {
	case err := <-updated:
		t.Fatalf("the update finished while the row was locked: %v", err)
	default:
	}

	require.NoError(t, tx.Rollback(ctx))
	require.NoError(t, <-updated)
	got, err := s.GetTask(ctx, ts[0].ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusRunning, got.Status)
}
