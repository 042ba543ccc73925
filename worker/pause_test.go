package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

// testPauseQueue: a paused queue keeps accepting tasks and the worker
// leases none of them, while it goes on serving its other queues; resumed,
// the waiting tasks run.
func testPauseQueue(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.Queues = []string{"held", "free"}
	b := mk(t, cfg)
	b.worker.HandleFunc("job", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	ctx := context.Background()
	require.NoError(t, b.client.PauseQueue(ctx, "held"))
	paused, err := b.client.PausedQueues(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"held"}, paused)
	held, err := b.client.Enqueue(ctx, "job", nil, taskq.WithQueue("held"))
	require.NoError(t, err, "a paused queue accepts tasks")
	b.start(t)

	// Tasks of the other queue run; each proves the fetch loops went round
	// while the held task stayed pending.
	for range 3 {
		free, err := b.client.Enqueue(ctx, "job", nil, taskq.WithQueue("free"))
		require.NoError(t, err)
		waitStatus(t, b, free.ID, taskq.StatusCompleted, 10*time.Second)
	}
	// Past the worker's refresh of the paused set, too: one more free task
	// enqueued after a refresh period has certainly started.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		free, err := b.client.Enqueue(ctx, "job", nil, taskq.WithQueue("free"))
		require.NoError(t, err)
		waitStatus(t, b, free.ID, taskq.StatusCompleted, 10*time.Second)
		got, err := b.client.Get(ctx, held.ID)
		require.NoError(t, err)
		require.Equal(t, taskq.StatusPending, got.Status, "no task of a paused queue is leased")
	}

	require.NoError(t, b.client.ResumeQueue(ctx, "held"))
	waitStatus(t, b, held.ID, taskq.StatusCompleted, 10*time.Second)
	paused, err = b.client.PausedQueues(ctx)
	require.NoError(t, err)
	require.Empty(t, paused)
}
