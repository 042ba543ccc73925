package queuetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func testRequeue(t *testing.T, newQueue NewQueueFunc) {
	t.Run("FutureSchedules", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityHigh))
		require.Len(t, b.lease(t, 1), 1)

		runAt := time.Now().Add(time.Hour)
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entryAt("a", taskq.PriorityLow, runAt)))
		require.Equal(t, stats(nil, 1, 0), b.stats(t))
		require.Empty(t, b.lease(t, 10))
		require.Equal(t, []string{"a"}, b.extend(t, time.Hour, "a"), "a requeued id is no longer leased")

		leases := b.leaseAt(t, 10, runAt.Add(time.Minute))
		require.Equal(t, []string{"a"}, ids(leases))
		require.Equal(t, taskq.PriorityHigh, leases[0].Priority, "Requeue keeps the priority")
	})

	t.Run("PastMakesReady", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueueIDs(t, taskq.PriorityHigh, "past", "zero")
		require.Len(t, b.lease(t, 2), 2)

		require.NoError(t, b.q.Requeue(b.ctx, b.name, entryAt("past", taskq.PriorityLow, time.Now().Add(-time.Minute))))
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entry("zero", taskq.PriorityLow)))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityHigh: 2}, 0, 0), b.stats(t))

		leases := b.lease(t, 10)
		require.ElementsMatch(t, []string{"past", "zero"}, ids(leases))
		for _, l := range leases {
			require.Equal(t, taskq.PriorityHigh, l.Priority, "Requeue keeps the priority")
		}
	})

	t.Run("BehindReadyEntries", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueueIDs(t, taskq.PriorityMedium, "a", "b")
		require.Equal(t, []string{"a"}, ids(b.lease(t, 1)))
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entry("a", taskq.PriorityMedium)))
		require.Equal(t, []string{"b", "a"}, ids(b.lease(t, 10)))
	})

	t.Run("ReapedLease", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityCritical))
		require.Len(t, b.leaseExpired(t, 1), 1)
		require.Len(t, b.reap(t, 1, time.Hour), 1)
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entry("a", taskq.PriorityCritical)))
		require.Equal(t, []string{"a"}, ids(b.lease(t, 1)))
	})

	t.Run("NotLeasedEnqueues", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entry("new", taskq.PriorityCritical)))
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entryAt("later", taskq.PriorityLow, time.Now().Add(time.Hour))))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityCritical: 1}, 1, 0), b.stats(t))
		leases := b.lease(t, 10)
		require.Equal(t, []string{"new"}, ids(leases))
		require.Equal(t, taskq.PriorityCritical, leases[0].Priority)
		names, err := b.q.Queues(b.ctx)
		require.NoError(t, err)
		require.Contains(t, names, b.name)
	})

	t.Run("ReadyOrScheduledUntouched", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("r", taskq.PriorityLow), entryAt("s", taskq.PriorityLow, time.Now().Add(time.Hour)))
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entryAt("r", taskq.PriorityCritical, time.Now().Add(time.Hour))))
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entry("s", taskq.PriorityCritical)))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityLow: 1}, 1, 0), b.stats(t))
		leases := b.lease(t, 10)
		require.Equal(t, []string{"r"}, ids(leases))
		require.Equal(t, taskq.PriorityLow, leases[0].Priority)
	})
}
