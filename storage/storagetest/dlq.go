package storagetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// moveToDLQ moves a stored task into the DLQ, entered at at, without a size
// cap, and returns what it moved.
func moveToDLQ(t *testing.T, ctx context.Context, s taskq.StorageAdapter, task *taskq.Task, at time.Time) *taskq.Task {
	t.Helper()
	m := task.Clone()
	m.Status = taskq.StatusDeadLetter
	m.Error = &taskq.TaskError{Code: taskq.CodeTaskExecutionFailed, Message: "gave up", Retryable: false}
	m.DeadLetteredAt = new(at)
	m.Updated = at
	evicted, err := s.MoveTaskToDeadLetter(ctx, m, 0)
	require.NoError(t, err)
	require.Zero(t, evicted)
	return m
}

// dlqFixture stores n running tasks and moves them into the DLQ, task i
// entering at base + i minutes; it returns the moved tasks, oldest entry
// first.
func dlqFixture(t *testing.T, ctx context.Context, s taskq.StorageAdapter, base time.Time, n int) []*taskq.Task {
	t.Helper()
	out := make([]*taskq.Task, n)
	for i := range out {
		task := newTask(withStatus(taskq.StatusRunning))
		create(t, ctx, s, task)
		out[i] = moveToDLQ(t, ctx, s, task, base.Add(time.Duration(i)*time.Minute))
	}
	return out
}

func requireDLQCount(t *testing.T, ctx context.Context, s taskq.StorageAdapter, want int) {
	t.Helper()
	n, err := s.CountDeadLetterTasks(ctx)
	require.NoError(t, err)
	require.Equal(t, want, n)
}

// listDLQ walks the DLQ listing with filter f and returns every entry.
func listDLQ(t *testing.T, ctx context.Context, s taskq.StorageAdapter, f taskq.DeadLetterFilter) []*taskq.Task {
	t.Helper()
	var out []*taskq.Task
	for range 10000 {
		page, err := s.GetDeadLetterTasks(ctx, f)
		require.NoError(t, err)
		out = append(out, page.Tasks...)
		if page.NextCursor == "" {
			return out
		}
		require.NotEmpty(t, page.Tasks, "a page with a next cursor must not be empty")
		require.NotEqual(t, f.Cursor, page.NextCursor, "cursor repeated")
		f.Cursor = page.NextCursor
	}
	t.Fatal("listing did not end")
	return nil
}

func testGetDeadLetterTasks(t *testing.T, newStore Factory) {
	t.Run("OldestEntryFirst", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		base := now().Add(-time.Hour)
		a, b, c := newTask(withStatus(taskq.StatusRunning)), newTask(withStatus(taskq.StatusFailed)), newTask()
		other := newTask()
		create(t, ctx, s, a, b, c, other)
		// Entry order differs from id order.
		ma := moveToDLQ(t, ctx, s, a, base.Add(2*time.Minute))
		mb := moveToDLQ(t, ctx, s, b, base.Add(3*time.Minute))
		mc := moveToDLQ(t, ctx, s, c, base.Add(1*time.Minute))
		page, err := s.GetDeadLetterTasks(ctx, taskq.DeadLetterFilter{})
		require.NoError(t, err)
		require.Equal(t, []string{c.ID, a.ID, b.ID}, ids(page.Tasks))
		require.Empty(t, page.NextCursor)
		for i, want := range []*taskq.Task{mc, ma, mb} {
			requireTaskEqual(t, want, page.Tasks[i])
		}
	})

	t.Run("TiesOrderedByID", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		at := now()
		ts := manyTasks(4)
		create(t, ctx, s, ts...)
		for _, i := range []int{2, 0, 3, 1} {
			moveToDLQ(t, ctx, s, ts[i], at)
		}
		got := listDLQ(t, ctx, s, taskq.DeadLetterFilter{Limit: 3})
		require.Equal(t, ids(ts), ids(got))
	})

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		create(t, ctx, s, newTask(), newTask(withStatus(taskq.StatusFailed)))
		page, err := s.GetDeadLetterTasks(ctx, taskq.DeadLetterFilter{})
		require.NoError(t, err)
		require.Empty(t, page.Tasks)
		require.Empty(t, page.NextCursor)
	})

	t.Run("FilterType", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		base := now().Add(-time.Hour)
		var want []string
		for i := range 6 {
			task := newTask(withStatus(taskq.StatusRunning))
			if i%2 == 1 {
				task.Type = "sms"
				want = append(want, task.ID)
			}
			create(t, ctx, s, task)
			moveToDLQ(t, ctx, s, task, base.Add(time.Duration(6-i)*time.Minute))
		}
		// A task of that type outside the DLQ is not listed.
		create(t, ctx, s, newTask(func(t *taskq.Task) { t.Type = "sms" }))
		slices.Reverse(want) // later tasks entered earlier
		page, err := s.GetDeadLetterTasks(ctx, taskq.DeadLetterFilter{Type: "sms"})
		require.NoError(t, err)
		require.Equal(t, want, ids(page.Tasks))
		require.Equal(t, want, ids(listDLQ(t, ctx, s, taskq.DeadLetterFilter{Type: "sms", Limit: 2})), "paginated")
		page, err = s.GetDeadLetterTasks(ctx, taskq.DeadLetterFilter{Type: "none"})
		require.NoError(t, err)
		require.Empty(t, page.Tasks)
	})

	t.Run("Pagination", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		entries := dlqFixture(t, ctx, s, now().Add(-time.Hour), 7)
		f := taskq.DeadLetterFilter{Limit: 3}
		var sizes []int
		var got []string
		for {
			page, err := s.GetDeadLetterTasks(ctx, f)
			require.NoError(t, err)
			sizes = append(sizes, len(page.Tasks))
			got = append(got, ids(page.Tasks)...)
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		require.Equal(t, []int{3, 3, 1}, sizes)
		require.Equal(t, ids(entries), got)
	})

	t.Run("PaginationSeesLaterEntries", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		base := now().Add(-time.Hour)
		entries := dlqFixture(t, ctx, s, base, 4)
		page, err := s.GetDeadLetterTasks(ctx, taskq.DeadLetterFilter{Limit: 2})
		require.NoError(t, err)
		late := newTask(withStatus(taskq.StatusRunning))
		create(t, ctx, s, late)
		moveToDLQ(t, ctx, s, late, base.Add(time.Hour))
		rest := listDLQ(t, ctx, s, taskq.DeadLetterFilter{Limit: 2, Cursor: page.NextCursor})
		require.Equal(t, append(ids(entries[2:]), late.ID), ids(rest))
	})

	t.Run("InvalidCursor", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		dlqFixture(t, ctx, s, now(), 1)
		for _, c := range []string{"%%%not a cursor%%%", "\x00", "*"} {
			_, err := s.GetDeadLetterTasks(ctx, taskq.DeadLetterFilter{Cursor: c})
			require.ErrorIs(t, err, taskq.ErrInvalidInput, "cursor %q", c)
		}
	})
}

func testGetDeadLetterTask(t *testing.T, newStore Factory) {
	t.Run("Found", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		entries := dlqFixture(t, ctx, s, now(), 2)
		got, err := s.GetDeadLetterTask(ctx, entries[1].ID)
		require.NoError(t, err)
		requireTaskEqual(t, entries[1], got)
	})

	t.Run("NotInDLQ", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		dlqFixture(t, ctx, s, now(), 1)
		for _, st := range []taskq.TaskStatus{taskq.StatusPending, taskq.StatusFailed, taskq.StatusCompleted} {
			a := newTask(withStatus(st))
			create(t, ctx, s, a)
			_, err := s.GetDeadLetterTask(ctx, a.ID)
			require.ErrorIs(t, err, taskq.ErrNotFound, "status %s", st)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		_, err := s.GetDeadLetterTask(ctx, taskq.NewID())
		require.ErrorIs(t, err, taskq.ErrNotFound)
	})

	t.Run("LeavesAfterRetry", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		e := dlqFixture(t, ctx, s, now(), 1)[0]
		// A DLQ retry puts the task back to pending.
		e.Status = taskq.StatusPending
		e.RetryCount = 0
		e.DLQRetryCount++
		e.DeadLetteredAt = nil
		require.NoError(t, s.UpdateTask(ctx, e, taskq.StatusDeadLetter))
		_, err := s.GetDeadLetterTask(ctx, e.ID)
		require.ErrorIs(t, err, taskq.ErrNotFound)
		requireDLQCount(t, ctx, s, 0)
		page, err := s.GetDeadLetterTasks(ctx, taskq.DeadLetterFilter{})
		require.NoError(t, err)
		require.Empty(t, page.Tasks)
		require.Equal(t, 1, get(t, ctx, s, e.ID).DLQRetryCount)
	})
}

func testMoveTaskToDeadLetter(t *testing.T, newStore Factory) {
	t.Run("MovesAndKeepsError", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(withStatus(taskq.StatusRunning), func(t *taskq.Task) { t.Attempts = 4 })
		create(t, ctx, s, a)
		at := now()
		m := a.Clone()
		m.Error = &taskq.TaskError{Code: taskq.CodeTaskTimeout, Message: "deadline passed", Retryable: false}
		m.RetryCount = 3
		m.DeadLetteredAt = new(at)
		m.Updated = at
		evicted, err := s.MoveTaskToDeadLetter(ctx, m, 10)
		require.NoError(t, err)
		require.Zero(t, evicted)
		want := m.Clone()
		want.Status = taskq.StatusDeadLetter
		requireTaskEqual(t, want, get(t, ctx, s, a.ID))
		got, err := s.GetDeadLetterTask(ctx, a.ID)
		require.NoError(t, err)
		requireTaskEqual(t, want, got)
		requireDLQCount(t, ctx, s, 1)
	})

	t.Run("FromEveryStartableStatus", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		for _, st := range []taskq.TaskStatus{taskq.StatusPending, taskq.StatusRunning, taskq.StatusFailed} {
			a := newTask(withStatus(st))
			create(t, ctx, s, a)
			_, err := s.MoveTaskToDeadLetter(ctx, a, 0)
			require.NoError(t, err, "from %s", st)
			require.Equal(t, taskq.StatusDeadLetter, get(t, ctx, s, a.ID).Status)
		}
		requireDLQCount(t, ctx, s, 3)
	})

	t.Run("EntryTimeDefaultsToNow", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(withStatus(taskq.StatusRunning))
		create(t, ctx, s, a)
		a.DeadLetteredAt = nil
		_, err := s.MoveTaskToDeadLetter(ctx, a, 0)
		require.NoError(t, err)
		got, err := s.GetDeadLetterTask(ctx, a.ID)
		require.NoError(t, err)
		require.NotNil(t, got.DeadLetteredAt)
		require.WithinDuration(t, time.Now(), *got.DeadLetteredAt, time.Minute)
	})

	t.Run("ConflictOnTerminal", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		for _, st := range []taskq.TaskStatus{taskq.StatusCompleted, taskq.StatusCancelled, taskq.StatusDeadLetter} {
			a := newTask(withStatus(st))
			create(t, ctx, s, a)
			m := a.Clone()
			m.Error = &taskq.TaskError{Code: taskq.CodeTaskExecutionFailed, Message: "late"}
			m.DeadLetteredAt = new(now().Add(time.Hour))
			_, err := s.MoveTaskToDeadLetter(ctx, m, 0)
			require.ErrorIs(t, err, taskq.ErrConflict, "from %s", st)
			requireTaskEqual(t, a, get(t, ctx, s, a.ID), "a %s task is left alone", st)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		_, err := s.MoveTaskToDeadLetter(ctx, newTask(), 0)
		require.ErrorIs(t, err, taskq.ErrNotFound)
		requireDLQCount(t, ctx, s, 0)
	})

	t.Run("SizeCapEvictsOldest", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		base := now().Add(-time.Hour)
		ts := manyTasks(5)
		create(t, ctx, s, ts...)
		var evictions []int
		for i, task := range ts {
			m := task.Clone()
			m.DeadLetteredAt = new(base.Add(time.Duration(i) * time.Minute))
			n, err := s.MoveTaskToDeadLetter(ctx, m, 3)
			require.NoError(t, err)
			evictions = append(evictions, n)
		}
		require.Equal(t, []int{0, 0, 0, 1, 1}, evictions)
		requireDLQCount(t, ctx, s, 3)
		requireNotFound(t, ctx, s, ts[0].ID)
		requireNotFound(t, ctx, s, ts[1].ID)
		require.Equal(t, ids(ts[2:]), ids(listDLQ(t, ctx, s, taskq.DeadLetterFilter{})))
	})

	t.Run("SizeCapEvictsSeveral", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		base := now().Add(-time.Hour)
		entries := dlqFixture(t, ctx, s, base, 5)
		a := newTask(withStatus(taskq.StatusRunning))
		create(t, ctx, s, a)
		a.DeadLetteredAt = new(base.Add(time.Hour))
		n, err := s.MoveTaskToDeadLetter(ctx, a, 2)
		require.NoError(t, err)
		require.Equal(t, 4, n)
		requireDLQCount(t, ctx, s, 2)
		require.Equal(t, []string{entries[4].ID, a.ID}, ids(listDLQ(t, ctx, s, taskq.DeadLetterFilter{})))
		for _, e := range entries[:4] {
			requireNotFound(t, ctx, s, e.ID)
		}
	})

	t.Run("SizeCapKeepsTheMovedTask", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		base := now().Add(-time.Hour)
		entries := dlqFixture(t, ctx, s, base, 2)
		a := newTask(withStatus(taskq.StatusRunning))
		create(t, ctx, s, a)
		a.DeadLetteredAt = new(base.Add(-time.Hour)) // older than every entry
		n, err := s.MoveTaskToDeadLetter(ctx, a, 2)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, []string{a.ID, entries[1].ID}, ids(listDLQ(t, ctx, s, taskq.DeadLetterFilter{})))
		requireNotFound(t, ctx, s, entries[0].ID)
	})

	t.Run("NoCapWhenMaxSizeNotPositive", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		dlqFixture(t, ctx, s, now(), 3) // moved with maxSize 0
		a := newTask()
		create(t, ctx, s, a)
		n, err := s.MoveTaskToDeadLetter(ctx, a, -1)
		require.NoError(t, err)
		require.Zero(t, n)
		requireDLQCount(t, ctx, s, 4)
	})

	t.Run("EvictedTasksLeaveOtherTasksAlone", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		old := newTask(withStatus(taskq.StatusCompleted))
		create(t, ctx, s, old)
		dlqFixture(t, ctx, s, now(), 3)
		a := newTask()
		create(t, ctx, s, a)
		n, err := s.MoveTaskToDeadLetter(ctx, a, 1)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		requireTaskEqual(t, old, get(t, ctx, s, old.ID))
		requireDLQCount(t, ctx, s, 1)
	})
}

func testRemoveFromDeadLetter(t *testing.T, newStore Factory) {
	t.Run("Purges", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		entries := dlqFixture(t, ctx, s, now(), 2)
		require.NoError(t, s.RemoveFromDeadLetter(ctx, entries[0].ID))
		requireNotFound(t, ctx, s, entries[0].ID)
		_, err := s.GetDeadLetterTask(ctx, entries[0].ID)
		require.ErrorIs(t, err, taskq.ErrNotFound)
		requireDLQCount(t, ctx, s, 1)
		require.ErrorIs(t, s.RemoveFromDeadLetter(ctx, entries[0].ID), taskq.ErrNotFound, "a second time")
		require.Equal(t, []string{entries[1].ID}, ids(listDLQ(t, ctx, s, taskq.DeadLetterFilter{})))
	})

	t.Run("NotInDLQ", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(withStatus(taskq.StatusFailed))
		create(t, ctx, s, a)
		require.ErrorIs(t, s.RemoveFromDeadLetter(ctx, a.ID), taskq.ErrNotFound)
		requireTaskEqual(t, a, get(t, ctx, s, a.ID), "a task outside the DLQ is left alone")
	})

	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		require.ErrorIs(t, s.RemoveFromDeadLetter(ctx, taskq.NewID()), taskq.ErrNotFound)
	})

	t.Run("FreesIdempotencyKey", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(func(t *taskq.Task) { t.Owner = "alice"; t.IdempotencyKey = "k" })
		create(t, ctx, s, a)
		moveToDLQ(t, ctx, s, a, now())
		require.NoError(t, s.RemoveFromDeadLetter(ctx, a.ID))
		create(t, ctx, s, newTask(func(t *taskq.Task) { t.Owner = "alice"; t.IdempotencyKey = "k" }))
	})
}

func testCleanupDeadLetterTasks(t *testing.T, newStore Factory) {
	t.Run("PurgesOlderThanThreshold", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		base := now().Add(-time.Hour)
		entries := dlqFixture(t, ctx, s, base, 5) // base, +1m, ... +4m
		outside := newTask(withStatus(taskq.StatusCompleted), func(t *taskq.Task) { t.Updated = base.Add(-time.Hour) })
		create(t, ctx, s, outside)
		n, err := s.CleanupDeadLetterTasks(ctx, base.Add(90*time.Second))
		require.NoError(t, err)
		require.Equal(t, 2, n)
		requireNotFound(t, ctx, s, entries[0].ID)
		requireNotFound(t, ctx, s, entries[1].ID)
		requireDLQCount(t, ctx, s, 3)
		require.Equal(t, ids(entries[2:]), ids(listDLQ(t, ctx, s, taskq.DeadLetterFilter{})))
		requireTaskEqual(t, outside, get(t, ctx, s, outside.ID), "tasks outside the DLQ stay")
	})

	t.Run("ThresholdIsExclusive", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		base := now().Add(-time.Hour)
		entries := dlqFixture(t, ctx, s, base, 3)
		n, err := s.CleanupDeadLetterTasks(ctx, base.Add(time.Minute))
		require.NoError(t, err)
		require.Equal(t, 1, n)
		get(t, ctx, s, entries[1].ID)
	})

	t.Run("FutureThresholdPurgesAll", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		dlqFixture(t, ctx, s, now(), 4)
		n, err := s.CleanupDeadLetterTasks(ctx, now().Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, 4, n)
		requireDLQCount(t, ctx, s, 0)
		n, err = s.CleanupDeadLetterTasks(ctx, now().Add(time.Hour))
		require.NoError(t, err)
		require.Zero(t, n, "nothing left the second time")
	})

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		n, err := s.CleanupDeadLetterTasks(ctx, now())
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

func testCountDeadLetterTasks(t *testing.T, newStore Factory) {
	t.Run("Counts", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		requireDLQCount(t, ctx, s, 0)
		create(t, ctx, s, newTask(), newTask(withStatus(taskq.StatusFailed)))
		requireDLQCount(t, ctx, s, 0)
		entries := dlqFixture(t, ctx, s, now(), 3)
		requireDLQCount(t, ctx, s, 3)
		require.NoError(t, s.RemoveFromDeadLetter(ctx, entries[1].ID))
		requireDLQCount(t, ctx, s, 2)
	})
}
