package taskq_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

func newClient(t *testing.T) (*taskq.Client, *storage.Memory, *queue.Memory) {
	t.Helper()
	store, q := storage.NewMemory(), queue.NewMemory()
	c, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	require.NoError(t, err)
	return c, store, q
}

func TestNewClientNeedsBackends(t *testing.T) {
	t.Parallel()
	_, err := taskq.NewClient(nil, queue.NewMemory(), taskq.ClientConfig{})
	require.ErrorContains(t, err, "StorageAdapter")
	_, err = taskq.NewClient(storage.NewMemory(), nil, taskq.ClientConfig{})
	require.ErrorContains(t, err, "Queue")
}

func TestEnqueueOptions(t *testing.T) {
	t.Parallel()
	c, _, q := newClient(t)
	ctx := context.Background()
	deadline := time.Now().Add(time.Hour)
	tk, err := c.Enqueue(ctx, "email.send", map[string]any{"to": "x"},
		taskq.WithPriority(taskq.PriorityCritical), taskq.WithDelay(time.Minute), taskq.WithDeadline(deadline),
		taskq.WithMaxRetries(7), taskq.WithTimeout(time.Second), taskq.WithQueue("mail"),
		taskq.WithDescription("welcome"), taskq.WithOwner("alice"))
	require.NoError(t, err)
	require.Equal(t, taskq.StatusPending, tk.Status)
	require.Equal(t, taskq.PriorityCritical, tk.Priority)
	require.Equal(t, 7, tk.MaxRetries)
	require.Equal(t, time.Second, tk.Timeout)
	require.Equal(t, "mail", tk.Queue)
	require.Equal(t, "alice", tk.Owner)
	require.True(t, tk.RunAt.After(time.Now().Add(50*time.Second)))
	require.True(t, deadline.Equal(*tk.Deadline))
	st, err := q.Stats(ctx, "mail")
	require.NoError(t, err)
	require.EqualValues(t, 1, st.Scheduled, "a delayed task waits in the scheduled set")

	def, err := c.Enqueue(ctx, "email.send", nil)
	require.NoError(t, err)
	require.Equal(t, taskq.PriorityMedium, def.Priority)
	require.Equal(t, taskq.DefaultMaxRetries, def.MaxRetries)
	require.Equal(t, taskq.DefaultQueue, def.Queue)
	require.NotNil(t, def.Metadata)
}

func TestEnqueueValidation(t *testing.T) {
	t.Parallel()
	c, store, _ := newClient(t)
	_, err := c.Enqueue(context.Background(), "", nil)
	require.ErrorIs(t, err, taskq.ErrValidation)
	_, err = c.Enqueue(context.Background(), "x", nil, taskq.WithPriority(9))
	require.ErrorIs(t, err, taskq.ErrValidation)
	page, err := store.ListTasks(context.Background(), taskq.TaskFilter{})
	require.NoError(t, err)
	require.Empty(t, page.Tasks, "bad input stores nothing")
}

func TestIdempotencyPerOwner(t *testing.T) {
	t.Parallel()
	c, _, q := newClient(t)
	ctx := context.Background()
	a, err := c.Enqueue(ctx, "x", nil, taskq.WithIdempotencyKey("k"), taskq.WithOwner("alice"))
	require.NoError(t, err)
	again, err := c.Enqueue(ctx, "x", nil, taskq.WithIdempotencyKey("k"), taskq.WithOwner("alice"))
	require.ErrorIs(t, err, taskq.ErrDuplicate)
	require.Equal(t, a.ID, again.ID)
	b, err := c.Enqueue(ctx, "x", nil, taskq.WithIdempotencyKey("k"), taskq.WithOwner("bob"))
	require.NoError(t, err)
	require.NotEqual(t, a.ID, b.ID)
	st, err := q.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.EqualValues(t, 2, st.Total())
}

func TestEnqueueMany(t *testing.T) {
	t.Parallel()
	c, _, q := newClient(t)
	ctx := context.Background()
	reqs := []taskq.EnqueueRequest{
		{Type: "a"}, {Type: "b", Options: []taskq.EnqueueOption{taskq.WithQueue("other")}},
		{Type: "c", Options: []taskq.EnqueueOption{taskq.WithPriority(taskq.PriorityHigh)}},
	}
	ts, err := c.EnqueueMany(ctx, reqs)
	require.NoError(t, err)
	require.Len(t, ts, 3)
	st, err := q.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.EqualValues(t, 1, st.Ready[taskq.PriorityHigh])
	require.EqualValues(t, 2, st.Total())
	_, err = c.EnqueueMany(ctx, []taskq.EnqueueRequest{{Type: "ok"}, {Type: "bad type!"}})
	require.ErrorIs(t, err, taskq.ErrValidation)
}

func TestCancel(t *testing.T) {
	t.Parallel()
	c, _, q := newClient(t)
	ctx := context.Background()
	tk, err := c.Enqueue(ctx, "x", nil)
	require.NoError(t, err)
	got, err := c.Cancel(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCancelled, got.Status)
	require.Equal(t, taskq.CodeTaskCancelled, got.Error.Code)
	require.NotNil(t, got.CompletedAt)
	st, err := q.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.Zero(t, st.Total(), "a cancelled task leaves the queue")
	_, err = c.Cancel(ctx, tk.ID)
	require.ErrorIs(t, err, taskq.ErrConflict)
	_, err = c.Cancel(ctx, taskq.NewID())
	require.ErrorIs(t, err, taskq.ErrNotFound)
}
