package queuetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func testRemove(t *testing.T, newQueue NewQueueFunc) {
	t.Run("Everywhere", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		now := time.Now()
		b.enqueue(t, entry("leased", taskq.PriorityCritical))
		require.Len(t, b.lease(t, 1), 1)
		b.enqueue(t,
			entry("ready", taskq.PriorityHigh),
			entry("stays", taskq.PriorityLow),
			entryAt("scheduled", taskq.PriorityMedium, now.Add(time.Hour)),
		)
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityHigh: 1, taskq.PriorityLow: 1}, 1, 1), b.stats(t))

		require.NoError(t, b.q.Remove(b.ctx, b.name, "ready", "scheduled", "leased", "unknown"))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityLow: 1}, 0, 0), b.stats(t))
		require.Equal(t, []string{"leased"}, b.extend(t, time.Hour, "leased"), "removal reaches the lease holder")
		require.Equal(t, []string{"stays"}, ids(b.leaseAt(t, 10, now.Add(2*time.Hour))))
	})

	t.Run("ExpiredLease", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Len(t, b.leaseExpired(t, 1), 1)
		require.NoError(t, b.q.Remove(b.ctx, b.name, "a"))
		require.Empty(t, b.reap(t, 10, time.Hour))
		require.Zero(t, b.stats(t).Total())
	})

	t.Run("IdempotentAndUnknown", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		require.NoError(t, b.q.Remove(b.ctx, b.name, "nope"))
		require.NoError(t, b.q.Remove(b.ctx, b.name))
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.NoError(t, b.q.Remove(b.ctx, b.name, "a"))
		require.NoError(t, b.q.Remove(b.ctx, b.name, "a"))
		require.Zero(t, b.stats(t).Total())
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Equal(t, []string{"a"}, ids(b.lease(t, 1)), "a removed id can be enqueued again")
	})
}
