package queuetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func testExtend(t *testing.T, newQueue NewQueueFunc) {
	t.Run("KeepsLeaseAlive", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueueIDs(t, taskq.PriorityMedium, "a", "b")
		require.Len(t, b.leaseExpired(t, 2), 2)

		require.Empty(t, b.extend(t, time.Hour, "a"))
		require.Equal(t, []string{"b"}, ids(b.reap(t, 10, time.Hour)), "the extended lease is not reaped")
		require.Empty(t, b.reap(t, 10, time.Hour))
		require.Equal(t, stats(nil, 0, 2), b.stats(t))
	})

	t.Run("ReportsLost", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueueIDs(t, taskq.PriorityMedium, "acked", "removed", "kept")
		b.enqueue(t, entry("ready", taskq.PriorityLow))
		require.Len(t, b.lease(t, 3), 3)
		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "acked"}))
		require.NoError(t, b.q.Remove(b.ctx, b.name, "removed"))

		lost := b.extend(t, time.Hour, "acked", "kept", "removed", "ready", "unknown")
		require.ElementsMatch(t, []string{"acked", "removed", "ready", "unknown"}, lost)
		require.Empty(t, b.extend(t, time.Hour, "kept"))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityLow: 1}, 0, 1), b.stats(t))
	})

	t.Run("NoIDs", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		require.Empty(t, b.extend(t, time.Hour))
	})

	t.Run("LostAfterReapByOther", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueueIDs(t, taskq.PriorityHigh, "acked", "requeued")
		require.Len(t, b.leaseExpired(t, 2), 2)

		// Another process reaps the expired leases, records the lost
		// attempt and acks one, requeues the other.
		require.ElementsMatch(t, []string{"acked", "requeued"}, ids(b.reap(t, 10, time.Hour)))
		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "acked"}))
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entry("requeued", taskq.PriorityHigh)))

		require.ElementsMatch(t, []string{"acked", "requeued"}, b.extend(t, time.Hour, "acked", "requeued"))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityHigh: 1}, 0, 0), b.stats(t))
	})

	t.Run("UnknownQueue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		require.ElementsMatch(t, []string{"x", "y"}, b.extend(t, time.Hour, "x", "y"))
	})
}
