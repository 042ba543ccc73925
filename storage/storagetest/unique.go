package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
)

// uniqueTask returns a pending task holding unique key k in states
// (UniqueStatesActive when none).
func uniqueTask(k string, states ...taskq.TaskStatus) *taskq.Task {
	if len(states) == 0 {
		states = taskq.UniqueStatesActive()
	}
	return newTask(func(t *taskq.Task) { t.UniqueKey, t.UniqueStates = k, states })
}

// requireUnique fails unless err is the duplicate of a unique creation
// and got is the holder want.
func requireUnique(t *testing.T, err error, want string, got *taskq.Task) {
	t.Helper()
	requireDuplicate(t, err)
	require.ErrorIs(t, err, taskq.ErrUniqueExists)
	require.NotNil(t, got, "the holder is returned")
	require.Equal(t, want, got.ID, "the holder is returned")
}

func testUnique(t *testing.T, newStore Factory) {
	t.Run("ConcurrentProducersCreateOne", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		const producers = 32
		tasks := make([]*taskq.Task, producers)
		for i := range tasks {
			tasks[i] = uniqueTask("k-concurrent")
		}
		got := make([]*taskq.Task, producers)
		errs := make([]error, producers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range producers {
			wg.Go(func() {
				<-start
				got[i], errs[i] = s.CreateTask(ctx, tasks[i])
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "producers %d and %d both created a task", winner, i)
				winner = i
			}
		}
		require.NotEqual(t, -1, winner, "no producer created the task")
		for i, err := range errs {
			if i != winner {
				requireUnique(t, err, tasks[winner].ID, got[i])
			}
		}
		all := listAll(t, ctx, s, taskq.TaskFilter{Limit: 100})
		require.Equal(t, []string{tasks[winner].ID}, ids(all), "exactly one task is stored")
	})

	t.Run("HolderReturnedUntilItLeavesStates", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := uniqueTask("k-states")
		create(t, ctx, s, a)
		got, err := s.CreateTask(ctx, uniqueTask("k-states"))
		requireUnique(t, err, a.ID, got)
		require.Empty(t, get(t, ctx, s, a.ID).UniqueKey, "records read back do not carry the key")

		for _, st := range []taskq.TaskStatus{taskq.StatusRunning, taskq.StatusFailed} {
			upd := get(t, ctx, s, a.ID)
			upd.Status = st
			require.NoError(t, s.UpdateTask(ctx, upd))
			got, err = s.CreateTask(ctx, uniqueTask("k-states"))
			requireUnique(t, err, a.ID, got)
		}
		upd := get(t, ctx, s, a.ID)
		upd.Status = taskq.StatusCompleted
		upd.CompletedAt = new(now())
		require.NoError(t, s.UpdateTask(ctx, upd))

		b := uniqueTask("k-states")
		_, err = s.CreateTask(ctx, b)
		require.NoError(t, err, "a completed task releases the key")
		got, err = s.CreateTask(ctx, uniqueTask("k-states"))
		requireUnique(t, err, b.ID, got)

		other := uniqueTask("k-other")
		_, err = s.CreateTask(ctx, other)
		require.NoError(t, err, "another key is independent")
	})

	t.Run("CustomStates", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		// Pending only: a running task no longer blocks.
		a := uniqueTask("k-pending", taskq.StatusPending)
		create(t, ctx, s, a)
		started, err := s.StartTasks(ctx, []string{a.ID}, now())
		require.NoError(t, err)
		require.Len(t, started, 1)
		b := uniqueTask("k-pending", taskq.StatusPending)
		_, err = s.CreateTask(ctx, b)
		require.NoError(t, err, "a running task does not hold a pending-only key")

		// Completed included: a done task still blocks.
		c := uniqueTask("k-done", taskq.UniqueStatesAll()...)
		create(t, ctx, s, c)
		upd := get(t, ctx, s, c.ID)
		upd.Status, upd.CompletedAt = taskq.StatusCompleted, new(now())
		require.NoError(t, s.UpdateTask(ctx, upd))
		got, err := s.CreateTask(ctx, uniqueTask("k-done", taskq.UniqueStatesAll()...))
		requireUnique(t, err, c.ID, got)

		// Cancelled is outside UniqueStatesAll.
		upd = get(t, ctx, s, c.ID)
		upd.Status = taskq.StatusCancelled
		require.NoError(t, s.UpdateTask(ctx, upd))
		_, err = s.CreateTask(ctx, uniqueTask("k-done", taskq.UniqueStatesAll()...))
		require.NoError(t, err)
	})

	t.Run("DeletedHolderReleases", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := uniqueTask("k-del")
		create(t, ctx, s, a)
		require.NoError(t, s.DeleteTask(ctx, a.ID))
		b := uniqueTask("k-del")
		_, err := s.CreateTask(ctx, b)
		require.NoError(t, err)
		got, err := s.CreateTask(ctx, uniqueTask("k-del"))
		requireUnique(t, err, b.ID, got)
	})

	t.Run("IdempotencyKeyComesFirst", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := uniqueTask("k-idem")
		a.IdempotencyKey = "once"
		create(t, ctx, s, a)
		b := uniqueTask("k-idem-2")
		b.IdempotencyKey = "once"
		got, err := s.CreateTask(ctx, b)
		requireDuplicate(t, err)
		require.NotErrorIs(t, err, taskq.ErrUniqueExists, "an idempotency duplicate is not a unique one")
		require.Equal(t, a.ID, got.ID)
		c := uniqueTask("k-idem-2")
		_, err = s.CreateTask(ctx, c)
		require.NoError(t, err, "the refused task took no key")
	})

	t.Run("Batch", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := uniqueTask("k-batch-a")
		create(t, ctx, s, a)
		fresh := uniqueTask("k-batch-b")
		err := s.CreateTasks(ctx, []*taskq.Task{fresh, uniqueTask("k-batch-a")})
		requireDuplicate(t, err)
		require.ErrorIs(t, err, taskq.ErrUniqueExists)
		requireNotFound(t, ctx, s, fresh.ID)

		err = s.CreateTasks(ctx, []*taskq.Task{uniqueTask("k-batch-c"), uniqueTask("k-batch-c")})
		require.ErrorIs(t, err, taskq.ErrUniqueExists, "two tasks of a batch with one key")

		b, plain := uniqueTask("k-batch-b"), newTask()
		require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{b, plain}))
		got, err := s.CreateTask(ctx, uniqueTask("k-batch-b"))
		requireUnique(t, err, b.ID, got)
	})

	t.Run("ClientPeriodAndArgs", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		clock := time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC)
		c, err := taskq.NewClient(s, queue.NewMemory(), taskq.ClientConfig{Now: func() time.Time { return clock }})
		require.NoError(t, err)
		hourly := taskq.WithUnique(taskq.UniqueOpts{ByArgs: true, Period: time.Hour, States: taskq.UniqueStatesAll()})
		md := map[string]any{"report": "sales"}

		first, err := c.Enqueue(ctx, "report", md, hourly)
		require.NoError(t, err)
		clock = clock.Add(59 * time.Minute)
		got, err := c.Enqueue(ctx, "report", map[string]any{"report": "sales"}, hourly)
		requireUnique(t, err, first.ID, got)
		other, err := c.Enqueue(ctx, "report", map[string]any{"report": "costs"}, hourly)
		require.NoError(t, err, "other metadata is another task")
		require.NotEqual(t, first.ID, other.ID)

		clock = clock.Add(time.Minute) // the next hour
		second, err := c.Enqueue(ctx, "report", md, hourly)
		require.NoError(t, err, "a new period creates a new task")
		require.NotEqual(t, first.ID, second.ID)
	})
}
