package queuetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func testStats(t *testing.T, newQueue NewQueueFunc) {
	t.Run("Counts", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		require.Equal(t, taskq.QueueStats{}, b.stats(t), "an unknown queue is empty")

		now := time.Now()
		b.enqueueIDs(t, taskq.PriorityCritical, "c1", "c2", "c3")
		b.enqueueIDs(t, taskq.PriorityLow, "l1", "l2")
		b.enqueue(t, entry("m1", taskq.PriorityMedium), entryAt("s1", taskq.PriorityHigh, now.Add(time.Hour)))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{
			taskq.PriorityCritical: 3, taskq.PriorityMedium: 1, taskq.PriorityLow: 2,
		}, 1, 0), b.stats(t))

		require.Equal(t, []string{"c1", "c2"}, ids(b.lease(t, 2)))
		s := b.stats(t)
		require.Equal(t, stats(map[taskq.TaskPriority]int64{
			taskq.PriorityCritical: 1, taskq.PriorityMedium: 1, taskq.PriorityLow: 2,
		}, 1, 2), s)
		require.Equal(t, int64(7), s.Total())

		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "c1"}))
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entryAt("c2", taskq.PriorityCritical, now.Add(time.Hour))))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{
			taskq.PriorityCritical: 1, taskq.PriorityMedium: 1, taskq.PriorityLow: 2,
		}, 2, 0), b.stats(t))

		require.Len(t, b.leaseAt(t, 3, now.Add(2*time.Hour)), 3) // promotes s1 and c2, takes c2, c3, s1
		require.Equal(t, stats(map[taskq.TaskPriority]int64{
			taskq.PriorityMedium: 1, taskq.PriorityLow: 2,
		}, 0, 3), b.stats(t))
	})

	t.Run("Queues", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		other := queueName(t)
		names, err := b.q.Queues(b.ctx)
		require.NoError(t, err)
		require.NotContains(t, names, b.name)

		b.enqueue(t, entry("a", taskq.PriorityLow))
		require.NoError(t, b.q.Enqueue(b.ctx, other, entryAt("b", taskq.PriorityLow, time.Now().Add(time.Hour))))
		names, err = b.q.Queues(b.ctx)
		require.NoError(t, err)
		require.Contains(t, names, b.name)
		require.Contains(t, names, other)

		require.Len(t, b.lease(t, 1), 1)
		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "a"}))
		names, err = b.q.Queues(b.ctx)
		require.NoError(t, err)
		require.Contains(t, names, b.name, "a queue that held entries stays listed")
	})

	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		require.NoError(t, b.q.Ping(b.ctx))
	})
}
