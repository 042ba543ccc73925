package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

// TestRetentionDeleted runs a worker whose retention deletes the tasks it
// completed: tasks_retention_deleted_total counts them.
func TestRetentionDeleted(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	ctx := t.Context()
	store, q := storage.NewMemory(), queue.NewMemory()
	w, err := worker.New(store, q, worker.Config{Observer: b.m, TaskRetention: 50 * time.Millisecond,
		RetentionInterval: 20 * time.Millisecond, PollInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	w.HandleFunc("email", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	c, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	require.NoError(t, err)
	for range 3 {
		_, err := c.Enqueue(ctx, "email", nil)
		require.NoError(t, err)
	}
	require.Zero(t, mustValue(t, b.reg, "tasks_retention_deleted_total"))
	require.NoError(t, w.Start(ctx))
	t.Cleanup(func() { _ = w.Stop(context.Background()) })
	deadline := time.Now().Add(10 * time.Second)
	for mustValue(t, b.reg, "tasks_retention_deleted_total") < 3 {
		require.True(t, time.Now().Before(deadline), "the retention did not delete the completed tasks")
		time.Sleep(5 * time.Millisecond)
	}
	require.Equal(t, 3.0, mustValue(t, b.reg, "tasks_retention_deleted_total"))
	page, err := store.ListTasks(ctx, taskq.TaskFilter{})
	require.NoError(t, err)
	require.Empty(t, page.Tasks)
}
