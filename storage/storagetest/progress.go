package storagetest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func testSetProgress(t *testing.T, newStore Factory) {
	ctx, s := setup(t, newStore)
	pw, ok := s.(taskq.ProgressWriter)
	if !ok {
		t.Skip("the store does not implement taskq.ProgressWriter")
	}
	n := now()
	tk := newTask(func(t *taskq.Task) { t.Progress = &taskq.Progress{Percent: 9, Attempt: 1, Updated: n} })
	create(t, ctx, s, tk)
	require.Nil(t, get(t, ctx, s, tk.ID).Progress, "creating a task stores no progress")

	p := taskq.Progress{Percent: 40, Message: "chunk 4 of 10 — ünïcode", Attempt: 1, Updated: n}
	require.ErrorIs(t, pw.SetProgress(ctx, tk.ID, p), taskq.ErrConflict, "a pending task runs no attempt")
	require.ErrorIs(t, pw.SetProgress(ctx, taskq.NewID(), p), taskq.ErrNotFound)

	started, err := s.StartTasks(ctx, []string{tk.ID}, n)
	require.NoError(t, err)
	require.Len(t, started, 1)
	require.NoError(t, pw.SetProgress(ctx, tk.ID, p))
	got := get(t, ctx, s, tk.ID)
	require.NotNil(t, got.Progress)
	require.Equal(t, p.Percent, got.Progress.Percent)
	require.Equal(t, p.Message, got.Progress.Message)
	require.Equal(t, 1, got.Progress.Attempt)
	require.True(t, p.Updated.Equal(got.Progress.Updated), "updated: %v", got.Progress.Updated)
	require.True(t, got.Updated.Equal(started[0].Updated), "progress does not change the record's updated time")
	page, err := s.ListTasks(ctx, taskq.TaskFilter{})
	require.NoError(t, err)
	require.Len(t, page.Tasks, 1)
	require.NotNil(t, page.Tasks[0].Progress, "listings carry the progress")
	require.Equal(t, 40, page.Tasks[0].Progress.Percent)

	// Fenced: another attempt's report changes nothing.
	stale := taskq.Progress{Percent: 90, Message: "stale", Attempt: 2, Updated: n}
	require.ErrorIs(t, pw.SetProgress(ctx, tk.ID, stale), taskq.ErrConflict)
	require.Equal(t, 40, get(t, ctx, s, tk.ID).Progress.Percent)

	// The outcome write keeps the last progress; no write after it.
	p.Percent, p.Message = 100, "done"
	require.NoError(t, pw.SetProgress(ctx, tk.ID, p))
	done := started[0]
	done.Status, done.CompletedAt, done.Updated = taskq.StatusCompleted, new(n), n
	done.Progress = nil
	require.NoError(t, s.UpdateAttempt(ctx, done, 1))
	got = get(t, ctx, s, tk.ID)
	require.Equal(t, taskq.StatusCompleted, got.Status)
	require.NotNil(t, got.Progress, "the outcome write leaves the progress alone")
	require.Equal(t, 100, got.Progress.Percent)
	require.Equal(t, "done", got.Progress.Message)
	require.ErrorIs(t, pw.SetProgress(ctx, tk.ID, p), taskq.ErrConflict, "a completed task runs no attempt")
}
