package queuetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func testAck(t *testing.T, newQueue NewQueueFunc) {
	t.Run("RemovesLease", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueueIDs(t, taskq.PriorityMedium, idList("a", 5)...)
		leases := b.lease(t, 5)
		require.Len(t, leases, 5)
		require.NoError(t, b.q.Ack(b.ctx, b.name, leases[:3]...))
		require.Equal(t, stats(nil, 0, 2), b.stats(t))
		require.NoError(t, b.q.Ack(b.ctx, b.name, leases[3:]...))
		require.Zero(t, b.stats(t).Total())
		require.Empty(t, b.lease(t, 10))
		require.Empty(t, b.reap(t, 10, time.Hour))
	})

	t.Run("Idempotent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Len(t, b.lease(t, 1), 1)
		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "a"}))
		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "a"}))
		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "a"}, taskq.Lease{ID: "a"}))
		require.Zero(t, b.stats(t).Total())
	})

	t.Run("UnknownIDAndQueue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "nope"}))
		require.NoError(t, b.q.Ack(b.ctx, b.name))
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Len(t, b.lease(t, 1), 1)
		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "nope"}, taskq.Lease{ID: "a"}))
		require.Zero(t, b.stats(t).Total())
	})

	t.Run("ExpiredLease", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Len(t, b.leaseExpired(t, 1), 1)
		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "a"}))
		require.Empty(t, b.reap(t, 10, time.Hour), "an acked lease is not reaped")
		require.Zero(t, b.stats(t).Total())
	})
}
