package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// TestPostgresOnlyStoreDispatches shows why a kill between "write the
// record" and "push the id" cannot lose a task on PostgreSQL alone: there
// is no second step. A task written with the store's CreateTask only (no
// Client, no Queue.Enqueue) is leased and run by the worker; a running
// task cancelled with the store's UpdateTask only (no Queue.Remove) leaves
// the queue in that statement, so the worker's next heartbeat finds the
// lease lost and cancels its handler.
func TestPostgresOnlyStoreDispatches(t *testing.T) {
	t.Parallel()
	b := withPostgresOnly(t, fastConfig())
	ctx := context.Background()
	ran := make(chan string, 1)
	b.worker.HandleFunc("plain", func(_ context.Context, tk *taskq.Task) (any, error) {
		ran <- tk.ID
		return "ok", nil
	})
	started := make(chan string, 1)
	cause := make(chan error, 1)
	b.worker.HandleFunc("block", func(ctx context.Context, tk *taskq.Task) (any, error) {
		started <- tk.ID
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return nil, ctx.Err()
	})
	b.start(t)

	tk, err := b.client.NewTask("plain", nil)
	require.NoError(t, err)
	_, err = b.store.CreateTask(ctx, tk)
	require.NoError(t, err)
	select {
	case id := <-ran:
		require.Equal(t, tk.ID, id)
	case <-time.After(5 * time.Second):
		t.Fatal("a task created in the store alone was not run within 5s")
	}
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 5*time.Second)
	require.JSONEq(t, `"ok"`, string(got.Result))

	blk, err := b.client.NewTask("block", nil)
	require.NoError(t, err)
	_, err = b.store.CreateTask(ctx, blk)
	require.NoError(t, err)
	select {
	case id := <-started:
		require.Equal(t, blk.ID, id)
	case <-time.After(5 * time.Second):
		t.Fatal("the blocking task did not start within 5s")
	}
	cur, err := b.store.GetTask(ctx, blk.ID)
	require.NoError(t, err)
	cur.Status, cur.Updated = taskq.StatusCancelled, time.Now().UTC()
	cur.CompletedAt = new(cur.Updated)
	require.NoError(t, b.store.UpdateTask(ctx, cur, taskq.StatusRunning))
	st, err := b.queue.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.Zero(t, st.Total(), "the cancelled task left the queue with its record update")
	select {
	case err := <-cause:
		require.ErrorIs(t, err, taskq.ErrTaskCancelled)
	case <-time.After(2 * time.Second):
		t.Fatal("handler context not cancelled within 2s (heartbeat 30ms)")
	}
	waitFor(t, 2*time.Second, "cancelled outcome", func() bool { return b.obs.count(taskq.OutcomeCancelled) == 1 })
	got, err = b.store.GetTask(ctx, blk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCancelled, got.Status)
}
