package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testclock"
	"github.com/taskq/taskq/storage"
)

func TestRetentionPurgesFinishedRecords(t *testing.T) {
	t.Parallel()
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	m := storage.NewMemory(storage.WithClock(clk.Now), storage.WithRetention(time.Hour))
	ctx := context.Background()
	mk := func() *taskq.Task {
		now := clk.Now()
		tk := &taskq.Task{ID: taskq.NewID(), Type: "x", Status: taskq.StatusPending, Queue: "default",
			Created: now, Updated: now, RunAt: now, Metadata: map[string]any{}}
		_, err := m.CreateTask(ctx, tk)
		require.NoError(t, err)
		return tk
	}
	finish := func(tk *taskq.Task, s taskq.TaskStatus) {
		now := clk.Now()
		tk.Status, tk.CompletedAt, tk.Updated = s, &now, now
		require.NoError(t, m.UpdateTask(ctx, tk))
	}
	done, cancelled, failed, pending := mk(), mk(), mk(), mk()
	finish(done, taskq.StatusCompleted)
	finish(cancelled, taskq.StatusCancelled)
	failed.Status = taskq.StatusFailed
	require.NoError(t, m.UpdateTask(ctx, failed))

	clk.Advance(59 * time.Minute)
	finish(mk(), taskq.StatusCompleted) // a write within the retention purges nothing
	_, err := m.GetTask(ctx, done.ID)
	require.NoError(t, err)

	clk.Advance(2 * time.Minute)
	finish(mk(), taskq.StatusCompleted) // this write purges the expired ones
	_, err = m.GetTask(ctx, done.ID)
	require.ErrorIs(t, err, taskq.ErrNotFound, "completed past the retention is purged")
	_, err = m.GetTask(ctx, cancelled.ID)
	require.ErrorIs(t, err, taskq.ErrNotFound, "cancelled past the retention is purged")
	for _, keep := range []*taskq.Task{failed, pending} {
		_, err = m.GetTask(ctx, keep.ID)
		require.NoError(t, err, "unfinished records are kept")
	}
	page, err := m.ListTasks(ctx, taskq.TaskFilter{})
	require.NoError(t, err)
	require.Len(t, page.Tasks, 4)
}

func TestNoRetentionByDefault(t *testing.T) {
	t.Parallel()
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	m := storage.NewMemory(storage.WithClock(clk.Now))
	ctx := context.Background()
	now := clk.Now()
	tk := &taskq.Task{ID: taskq.NewID(), Type: "x", Status: taskq.StatusPending, Queue: "default", Created: now, Updated: now, RunAt: now}
	_, err := m.CreateTask(ctx, tk)
	require.NoError(t, err)
	tk.Status, tk.CompletedAt = taskq.StatusCompleted, &now
	require.NoError(t, m.UpdateTask(ctx, tk))
	clk.Advance(1000 * time.Hour)
	require.NoError(t, m.UpdateTask(ctx, tk))
	_, err = m.GetTask(ctx, tk.ID)
	require.NoError(t, err)
}
