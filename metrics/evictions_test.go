package metrics

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/dlq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// TestDeadLetterEvictedByOwner moves tasks through a real DLQ on the
// in-memory storage: the size cap evicts the entries of the owner holding
// the most, and the metric names that owner only.
func TestDeadLetterEvictedByOwner(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	ctx := t.Context()
	store := storage.NewMemory()
	d, err := dlq.New(store, queue.NewMemory(), taskq.DeadLetterQueueConfig{MaxSize: 3}, dlq.Options{Observer: b.m})
	require.NoError(t, err)
	move := func(owner string) {
		task := &taskq.Task{ID: taskq.NewID(), Type: "email", Status: taskq.StatusRunning, Owner: owner,
			Queue: taskq.DefaultQueue, Created: time.Now(), Updated: time.Now(), RunAt: time.Now()}
		_, err := store.CreateTask(ctx, task)
		require.NoError(t, err)
		require.NoError(t, d.Move(ctx, task, taskq.ErrTaskExecution))
	}
	move("bob")
	move("")
	for range 5 {
		move("alice")
	}
	require.Equal(t, 4.0, mustValue(t, b.reg, "dlq_tasks_evicted_by_owner_total", "owner", "alice"))
	require.Equal(t, 4.0, mustValue(t, b.reg, "dlq_tasks_evicted_total"))
	_, ok := value(t, b.reg, "dlq_tasks_evicted_by_owner_total", "owner", "bob")
	require.False(t, ok, "bob's entry survives")
	require.Zero(t, mustValue(t, b.reg, "dlq_tasks_evicted_by_owner_total", "owner", NoOwner), "the ownerless entry survives")

	b.m.DeadLetterEvicted("", 2)
	require.Equal(t, 2.0, mustValue(t, b.reg, "dlq_tasks_evicted_by_owner_total", "owner", NoOwner))
}
