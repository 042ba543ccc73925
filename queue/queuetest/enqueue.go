package queuetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func testEnqueue(t *testing.T, newQueue NewQueueFunc) {
	t.Run("ReadyIsLeased", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityHigh))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityHigh: 1}, 0, 0), b.stats(t))

		now := time.Now()
		leases := b.leaseParams(t, taskq.LeaseParams{Max: 5, TTL: time.Minute})
		require.Len(t, leases, 1)
		require.Equal(t, "a", leases[0].ID)
		require.Equal(t, taskq.PriorityHigh, leases[0].Priority)
		require.WithinDuration(t, now.Add(time.Minute), leases[0].Deadline, 2*time.Second)
	})

	t.Run("NoEntries", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t)
		require.Empty(t, b.lease(t, 10))
		require.Zero(t, b.stats(t).Total())
	})

	t.Run("Batch", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		all := idList("e", 100)
		b.enqueueIDs(t, taskq.PriorityMedium, all...)
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityMedium: 100}, 0, 0), b.stats(t))
		require.Equal(t, all, ids(b.lease(t, 100)))
	})

	t.Run("IdempotentByID", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityLow), entry("a", taskq.PriorityLow))
		b.enqueue(t, entry("a", taskq.PriorityLow), entry("b", taskq.PriorityLow))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityLow: 2}, 0, 0), b.stats(t))
		require.Equal(t, []string{"a", "b"}, ids(b.lease(t, 10)))
		require.Empty(t, b.lease(t, 10))
	})

	t.Run("KeepsExistingPriority", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityLow))
		b.enqueue(t, entry("a", taskq.PriorityCritical))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityLow: 1}, 0, 0), b.stats(t))
		leases := b.lease(t, 10)
		require.Len(t, leases, 1)
		require.Equal(t, taskq.PriorityLow, leases[0].Priority)
	})

	t.Run("WhileLeasedNoDuplicate", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Len(t, b.lease(t, 10), 1)
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Equal(t, stats(nil, 0, 1), b.stats(t))
		require.Empty(t, b.lease(t, 10))
		require.Empty(t, b.extend(t, time.Minute, "a"), "the lease survives a second Enqueue")
	})

	t.Run("WhileScheduledUntouched", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entryAt("a", taskq.PriorityMedium, time.Now().Add(time.Hour)))
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Equal(t, stats(nil, 1, 0), b.stats(t))
		require.Empty(t, b.lease(t, 10))
	})

	t.Run("AgainAfterAck", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Len(t, b.lease(t, 1), 1)
		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "a"}))
		b.enqueue(t, entry("a", taskq.PriorityHigh))
		leases := b.lease(t, 1)
		require.Len(t, leases, 1)
		require.Equal(t, "a", leases[0].ID)
		require.Equal(t, taskq.PriorityHigh, leases[0].Priority)
	})

	t.Run("PastRunAtIsReady", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entryAt("a", taskq.PriorityHigh, time.Now().Add(-time.Hour)))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityHigh: 1}, 0, 0), b.stats(t))
		require.Equal(t, []string{"a"}, ids(b.lease(t, 1)))
	})

	t.Run("FutureRunAtIsScheduled", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entryAt("a", taskq.PriorityHigh, time.Now().Add(time.Hour)))
		require.Equal(t, stats(nil, 1, 0), b.stats(t))
	})

	t.Run("ListedInQueues", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		names, err := b.q.Queues(b.ctx)
		require.NoError(t, err)
		require.NotContains(t, names, b.name)
		b.enqueue(t, entry("a", taskq.PriorityLow))
		names, err = b.q.Queues(b.ctx)
		require.NoError(t, err)
		require.Contains(t, names, b.name)
	})
}
