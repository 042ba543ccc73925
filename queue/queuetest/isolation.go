package queuetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func testIsolation(t *testing.T, newQueue NewQueueFunc) {
	t.Run("QueuesIndependent", func(t *testing.T) {
		t.Parallel()
		a := setup(t, newQueue)
		b := &bundle{ctx: a.ctx, q: a.q, name: queueName(t)}

		a.enqueue(t, entry("only-a", taskq.PriorityCritical))
		require.Empty(t, b.lease(t, 10))
		require.Zero(t, b.stats(t).Total())

		// The same id lives independently in both queues.
		a.enqueue(t, entry("x", taskq.PriorityLow))
		b.enqueue(t, entry("x", taskq.PriorityHigh))
		require.Equal(t, []string{"only-a", "x"}, ids(a.lease(t, 10)))
		lb := b.lease(t, 10)
		require.Equal(t, []string{"x"}, ids(lb))
		require.Equal(t, taskq.PriorityHigh, lb[0].Priority)

		require.NoError(t, a.q.Ack(a.ctx, a.name, taskq.Lease{ID: "x"}))
		require.Empty(t, b.extend(t, time.Hour, "x"), "Ack in one queue leaves the other's lease")
		require.Equal(t, []string{"x"}, a.extend(t, time.Hour, "x"))
		require.NoError(t, a.q.Remove(a.ctx, a.name, "only-a"))
		require.Equal(t, stats(nil, 0, 1), b.stats(t))
		require.Zero(t, a.stats(t).Total())
	})

	t.Run("ReapAndRequeueStayInQueue", func(t *testing.T) {
		t.Parallel()
		a := setup(t, newQueue)
		b := &bundle{ctx: a.ctx, q: a.q, name: queueName(t)}
		a.enqueue(t, entry("x", taskq.PriorityMedium))
		require.Len(t, a.leaseExpired(t, 1), 1)
		require.Empty(t, b.reap(t, 10, time.Hour))
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entry("x", taskq.PriorityMedium)))
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityMedium: 1}, 0, 0), b.stats(t),
			"Requeue in another queue enqueues there")
		require.Equal(t, stats(nil, 0, 1), a.stats(t))
		require.Len(t, a.reap(t, 10, time.Hour), 1)
	})
}
