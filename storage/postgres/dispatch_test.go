package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/storagetest"
)

// TestStorageAdapterDispatching runs the storage suite on a store that
// keeps queue entries: the records behave the same.
func TestStorageAdapterDispatching(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) taskq.StorageAdapter {
		return postgres.NewTestStore(t, postgres.Config{Dispatch: true})
	})
}

func pendingTask(queue string, p taskq.TaskPriority, runAt time.Time) *taskq.Task {
	now := time.Now().UTC()
	if runAt.IsZero() {
		runAt = now
	}
	return &taskq.Task{ID: taskq.NewID(), Type: "dispatch", Status: taskq.StatusPending, Priority: p,
		Created: now, Updated: now, RunAt: runAt.UTC(), Queue: queue, MaxRetries: 1}
}

func leaseAll(t *testing.T, q *postgres.Queue, queue string) []taskq.Lease {
	t.Helper()
	leases, err := q.Lease(t.Context(), taskq.LeaseParams{Queue: queue, Max: 1000, TTL: time.Hour})
	require.NoError(t, err)
	return leases
}

func leaseIDs(leases []taskq.Lease) []string {
	out := make([]string, len(leases))
	for i, l := range leases {
		out[i] = l.ID
	}
	return out
}

// TestDispatchCreatedTaskIsLeasable: with Config.Dispatch a created
// pending task is in the queue without any Enqueue (no step to crash
// between), scheduled when its run time is ahead; CreateTasks (COPY) does
// the same for its pending tasks only; concurrent creates (one group-commit
// batch, one multi-row statement) all land; an Enqueue afterwards adds
// nothing; and a Wait sleeping on the queue is woken by the creation.
func TestDispatchCreatedTaskIsLeasable(t *testing.T) {
	t.Parallel()
	s, q := newTestQueue(t, postgres.Config{Dispatch: true})
	ctx := t.Context()

	a := pendingTask("d", taskq.PriorityHigh, time.Time{})
	_, err := s.CreateTask(ctx, a)
	require.NoError(t, err)
	later := pendingTask("d", taskq.PriorityCritical, time.Now().Add(time.Hour))
	_, err = s.CreateTask(ctx, later)
	require.NoError(t, err)
	st, err := q.Stats(ctx, "d")
	require.NoError(t, err)
	require.Equal(t, int64(1), st.Ready[taskq.PriorityHigh])
	require.Equal(t, int64(1), st.Scheduled)
	names, err := q.Queues(ctx)
	require.NoError(t, err)
	require.Contains(t, names, "d")

	added, err := q.EnqueueNew(ctx, "d", taskq.QueueEntry{ID: a.ID, Priority: a.Priority})
	require.NoError(t, err)
	require.Zero(t, added, "the store enqueued the task already")
	leases := leaseAll(t, q, "d")
	require.Equal(t, []string{a.ID}, leaseIDs(leases))
	require.Equal(t, taskq.PriorityHigh, leases[0].Priority)

	// A duplicate create stores nothing and adds nothing.
	_, err = s.CreateTask(ctx, a)
	require.ErrorIs(t, err, taskq.ErrDuplicate)
	require.Empty(t, leaseAll(t, q, "d"))

	// CreateTasks: only pending tasks get entries.
	batch := []*taskq.Task{pendingTask("b", taskq.PriorityLow, time.Time{}), pendingTask("b", taskq.PriorityLow, time.Time{})}
	done := pendingTask("b", taskq.PriorityLow, time.Time{})
	done.Status, done.CompletedAt = taskq.StatusCompleted, new(time.Now().UTC())
	batch = append(batch, done)
	require.NoError(t, s.CreateTasks(ctx, batch))
	require.Equal(t, []string{batch[0].ID, batch[1].ID}, leaseIDs(leaseAll(t, q, "b")))

	// Concurrent creates ride group-commit batches.
	const n = 64
	ids := make(map[string]bool, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			tk := pendingTask("c", taskq.PriorityMedium, time.Time{})
			if _, err := s.CreateTask(ctx, tk); err != nil {
				t.Errorf("create: %v", err)
				return
			}
			mu.Lock()
			ids[tk.ID] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	got := leaseIDs(leaseAll(t, q, "c"))
	require.Len(t, got, n)
	for _, id := range got {
		require.True(t, ids[id], id)
	}
	require.Greater(t, s.WriterStats().Batches, int64(0))

	// A Wait on an idle queue wakes when a task is created.
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	woke := make(chan time.Time, 1)
	go func() {
		_ = q.Wait(wctx, "idle", 20*time.Second)
		woke <- time.Now()
	}()
	// The Wait may look before or after the create; either way it returns
	// at once, well before its max.
	created := time.Now()
	_, err = s.CreateTask(ctx, pendingTask("idle", taskq.PriorityMedium, time.Time{}))
	require.NoError(t, err)
	select {
	case at := <-woke:
		require.Less(t, at.Sub(created), time.Second)
	case <-time.After(10 * time.Second):
		t.Fatal("a created task did not wake the Wait")
	}
}

// TestDispatchFinishedTaskLeavesQueue: with Config.Dispatch, moving a task
// to a terminal status deletes its entry in the same statement: a cancel
// reaches the lease holder (its Extend reports the id lost) without any
// Queue.Remove; completion, the DLQ and deletion clear the entry too; a
// failed precondition or a non-terminal status keeps it.
func TestDispatchFinishedTaskLeavesQueue(t *testing.T) {
	t.Parallel()
	s, q := newTestQueue(t, postgres.Config{Dispatch: true})
	ctx := t.Context()
	tasks := make([]*taskq.Task, 6)
	for i := range tasks {
		tasks[i] = pendingTask("f", taskq.PriorityMedium, time.Time{})
		_, err := s.CreateTask(ctx, tasks[i])
		require.NoError(t, err)
	}
	require.Len(t, leaseAll(t, q, "f"), len(tasks))
	ids := leaseIDs(nil)
	for _, tk := range tasks {
		ids = append(ids, tk.ID)
	}
	lostLeases, err := q.Extend(ctx, "f", anyLeases(ids...), time.Hour)
	lost := leaseIDs(lostLeases)
	require.NoError(t, err)
	require.Empty(t, lost)

	finish := func(tk *taskq.Task, status taskq.TaskStatus, expect ...taskq.TaskStatus) error {
		c := tk.Clone()
		c.Status, c.Updated = status, time.Now().UTC()
		if status == taskq.StatusCompleted || status == taskq.StatusCancelled {
			c.CompletedAt = new(c.Updated)
		}
		return s.UpdateTask(ctx, c, expect...)
	}
	// 0: cancelled while pending (as the Client cancels).
	require.NoError(t, finish(tasks[0], taskq.StatusCancelled, taskq.StatusPending))
	// 1: a precondition that fails changes nothing.
	require.ErrorIs(t, finish(tasks[1], taskq.StatusCompleted, taskq.StatusRunning), taskq.ErrConflict)
	// 2: running, then failed (to be retried): the entry stays.
	require.NoError(t, finish(tasks[2], taskq.StatusFailed))
	// 3: dead-lettered.
	_, err = s.MoveTaskToDeadLetter(ctx, tasks[3].Clone(), 0)
	require.NoError(t, err)
	// 4: deleted.
	require.NoError(t, s.DeleteTask(ctx, tasks[4].ID))
	// 5: completed.
	require.NoError(t, finish(tasks[5], taskq.StatusCompleted, taskq.StatusPending))

	lostLeases, err = q.Extend(ctx, "f", anyLeases(ids...), time.Hour)
	lost = leaseIDs(lostLeases)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{tasks[0].ID, tasks[3].ID, tasks[4].ID, tasks[5].ID}, lost,
		"terminal and deleted tasks left the queue; the others are still leased")
	st, err := q.Stats(ctx, "f")
	require.NoError(t, err)
	require.Equal(t, taskq.QueueStats{Leased: 2}, st)
}

// TestDispatchManyFinishedInOneBatch finishes many leased tasks at once so
// that the group-commit writer sends multi-row updates: every entry goes.
func TestDispatchManyFinishedInOneBatch(t *testing.T) {
	t.Parallel()
	s, q := newTestQueue(t, postgres.Config{Dispatch: true})
	ctx := t.Context()
	const n = 100
	tasks := make([]*taskq.Task, n)
	for i := range tasks {
		tasks[i] = pendingTask("m", taskq.PriorityMedium, time.Time{})
	}
	require.NoError(t, s.CreateTasks(ctx, tasks))
	require.Len(t, leaseAll(t, q, "m"), n)
	before := s.WriterStats()
	var wg sync.WaitGroup
	for i, tk := range tasks {
		wg.Go(func() {
			c := tk.Clone()
			c.Status, c.Updated = taskq.StatusCompleted, time.Now().UTC()
			c.CompletedAt = new(c.Updated)
			if i%2 == 1 {
				c.Status = taskq.StatusCancelled
			}
			if err := s.UpdateTask(ctx, c, taskq.StatusPending); err != nil {
				t.Errorf("update %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	after := s.WriterStats()
	st, err := q.Stats(ctx, "m")
	require.NoError(t, err)
	require.Zero(t, st.Total(), "every finished task left the queue")
	t.Logf("%d updates in %d batches, %d statements", after.Calls-before.Calls, after.Batches-before.Batches,
		after.Statements-before.Statements)
	require.Less(t, after.Statements-before.Statements, int64(n), "some updates shared a statement")
}

// TestRemovesEntryOnFinish: only the Queue of the same store, when it
// keeps its tasks' entries, says a terminal status removes the entry.
func TestRemovesEntryOnFinish(t *testing.T) {
	t.Parallel()
	disp := postgres.NewTestStore(t, postgres.Config{Dispatch: true})
	plain := postgres.NewTestStore(t, postgres.Config{})
	q := disp.Queue(postgres.QueueConfig{})
	defer q.Close()
	require.True(t, q.RemovesEntryOnFinish(disp))
	require.False(t, q.RemovesEntryOnFinish(plain), "another store")
	require.False(t, q.RemovesEntryOnFinish(nil))
	pq := plain.Queue(postgres.QueueConfig{})
	defer pq.Close()
	require.False(t, pq.RemovesEntryOnFinish(plain), "a store without Config.Dispatch")
}
