package storagetest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// testFence checks that outcome writes are fenced by the attempt number: a
// worker whose attempt was superseded (its lease reaped, the task started
// again) cannot overwrite the newer attempt's record.
func testFence(t *testing.T, newStore Factory) {
	// restarted returns a record started twice: the first attempt's view
	// (attempts 1) and the record now running attempt 2.
	restarted := func(t *testing.T) (current func() *taskq.Task, s taskq.StorageAdapter, old *taskq.Task) {
		t.Helper()
		ctx, s := setup(t, newStore)
		a := newTask()
		create(t, ctx, s, a)
		first, err := s.StartTasks(ctx, []string{a.ID}, now())
		require.NoError(t, err)
		require.Len(t, first, 1)
		second, err := s.StartTasks(ctx, []string{a.ID}, now())
		require.NoError(t, err)
		require.Len(t, second, 1)
		require.Equal(t, 2, second[0].Attempts)
		return func() *taskq.Task { return get(t, ctx, s, a.ID) }, s, first[0]
	}

	t.Run("UpdateAttemptCurrent", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask()
		create(t, ctx, s, a)
		got, err := s.StartTasks(ctx, []string{a.ID}, now())
		require.NoError(t, err)
		require.Len(t, got, 1)
		done := got[0].Clone()
		done.Status = taskq.StatusCompleted
		done.CompletedAt = new(now())
		done.Updated = now()
		require.NoError(t, s.UpdateAttempt(ctx, done, 1))
		requireTaskEqual(t, done, get(t, ctx, s, a.ID), "stored")
	})

	t.Run("StaleUpdateAttemptIsConflict", func(t *testing.T) {
		t.Parallel()
		cur, s, old := restarted(t)
		before := cur()
		done := old.Clone()
		done.Status = taskq.StatusCompleted
		done.CompletedAt = new(now())
		done.Updated = now()
		err := s.UpdateAttempt(t.Context(), done, old.Attempts)
		require.ErrorIs(t, err, taskq.ErrConflict)
		requireTaskEqual(t, before, cur(), "a stale attempt changes nothing")
	})

	t.Run("UpdateAttemptNotRunningIsConflict", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(func(t *taskq.Task) { t.Attempts = 1; t.Status = taskq.StatusFailed })
		create(t, ctx, s, a)
		done := a.Clone()
		done.Status = taskq.StatusCompleted
		require.ErrorIs(t, s.UpdateAttempt(ctx, done, 1), taskq.ErrConflict)
		require.Equal(t, taskq.StatusFailed, get(t, ctx, s, a.ID).Status)
		missing := newTask()
		require.ErrorIs(t, s.UpdateAttempt(ctx, missing, 1), taskq.ErrNotFound)
	})

	t.Run("StaleDeadLetterIsConflict", func(t *testing.T) {
		t.Parallel()
		cur, s, old := restarted(t)
		before := cur()
		dead := old.Clone()
		dead.Status = taskq.StatusDeadLetter
		dead.Error = &taskq.TaskError{Code: taskq.CodeTaskExecutionFailed, Message: "stale"}
		dead.DeadLetteredAt = new(now())
		dead.Updated = now()
		_, err := s.MoveTaskToDeadLetter(t.Context(), dead, 0)
		require.ErrorIs(t, err, taskq.ErrConflict)
		requireTaskEqual(t, before, cur(), "a stale attempt's failure changes nothing")
		n, err := s.CountDeadLetterTasks(t.Context())
		require.NoError(t, err)
		require.Zero(t, n)
	})

	t.Run("CurrentDeadLetter", func(t *testing.T) {
		t.Parallel()
		cur, s, _ := restarted(t)
		dead := cur()
		dead.Status = taskq.StatusDeadLetter
		dead.DeadLetteredAt = new(now())
		dead.Updated = now()
		_, err := s.MoveTaskToDeadLetter(t.Context(), dead, 0)
		require.NoError(t, err)
		require.Equal(t, taskq.StatusDeadLetter, cur().Status)
		require.Equal(t, 2, cur().Attempts)
	})
}
