package storagetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func testStartTasks(t *testing.T, newStore Factory) {
	t.Run("StartsStartable", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		pending := newTask()
		failed := newTask(withStatus(taskq.StatusFailed), func(t *taskq.Task) { t.Attempts = 1; t.RetryCount = 0 })
		running := newTask(withStatus(taskq.StatusRunning), func(t *taskq.Task) { t.Attempts = 2 })
		create(t, ctx, s, pending, failed, running)
		at := now().Add(time.Second)
		got, err := s.StartTasks(ctx, []string{pending.ID, failed.ID, running.ID}, at)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{pending.ID, failed.ID, running.ID}, ids(got))
		for _, before := range []*taskq.Task{pending, failed, running} {
			want := before.Clone()
			want.Status = taskq.StatusRunning
			want.Attempts++
			want.StartedAt = new(at)
			want.Updated = at
			for _, g := range got {
				if g.ID == want.ID {
					requireTaskEqual(t, want, g, "returned by StartTasks")
				}
			}
			requireTaskEqual(t, want, get(t, ctx, s, want.ID), "stored")
		}
	})

	t.Run("SkipsTerminalAndMissing", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		pending := newTask()
		terminal := []*taskq.Task{
			newTask(withStatus(taskq.StatusCompleted)),
			newTask(withStatus(taskq.StatusCancelled)),
			newTask(withStatus(taskq.StatusDeadLetter)),
		}
		create(t, ctx, s, pending)
		create(t, ctx, s, terminal...)
		req := []string{terminal[0].ID, taskq.NewID(), pending.ID, terminal[1].ID, terminal[2].ID}
		got, err := s.StartTasks(ctx, req, now())
		require.NoError(t, err)
		require.Equal(t, []string{pending.ID}, ids(got))
		require.Equal(t, 1, got[0].Attempts)
		for _, want := range terminal {
			requireTaskEqual(t, want, get(t, ctx, s, want.ID), "a terminal task is left alone")
		}
	})

	t.Run("RepeatedIDStartsOnce", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask()
		create(t, ctx, s, a)
		got, err := s.StartTasks(ctx, []string{a.ID, a.ID, a.ID}, now())
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, 1, get(t, ctx, s, a.ID).Attempts)
	})

	t.Run("NothingToStart", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		got, err := s.StartTasks(ctx, nil, now())
		require.NoError(t, err)
		require.Empty(t, got)
		got, err = s.StartTasks(ctx, []string{taskq.NewID()}, now())
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("AttemptsAccumulate", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask()
		create(t, ctx, s, a)
		for i := 1; i <= 3; i++ {
			at := now().Add(time.Duration(i) * time.Second)
			got, err := s.StartTasks(ctx, []string{a.ID}, at)
			require.NoError(t, err)
			require.Len(t, got, 1)
			require.Equal(t, i, got[0].Attempts)
			requireTime(t, at, got[0].StartedAt)
			// The worker fails the attempt; the next start picks it up again.
			upd := got[0]
			upd.Status = taskq.StatusFailed
			upd.RetryCount = i
			require.NoError(t, s.UpdateTask(ctx, upd, taskq.StatusRunning))
		}
		got := get(t, ctx, s, a.ID)
		require.Equal(t, 3, got.Attempts)
		require.Equal(t, 3, got.RetryCount)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask()
		create(t, ctx, s, a)
		got, err := s.StartTasks(ctx, []string{a.ID}, now())
		require.NoError(t, err)
		require.Len(t, got, 1)
		want := got[0].Clone()
		got[0].Status = taskq.StatusCompleted
		got[0].Metadata["to"] = "changed"
		*got[0].StartedAt = got[0].StartedAt.Add(time.Hour)
		requireTaskEqual(t, want, get(t, ctx, s, a.ID))
	})
}
