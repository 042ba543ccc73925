package queuetest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// testEnqueueCounter covers the optional taskq.EnqueueCounter capability;
// queues without it skip.
func testEnqueueCounter(t *testing.T, newQueue NewQueueFunc) {
	t.Run("CountsNewIDsOnly", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		c, ok := b.q.(taskq.EnqueueCounter)
		if !ok {
			t.Skip("queue does not implement taskq.EnqueueCounter")
		}
		n, err := c.EnqueueNew(b.ctx, b.name, entry("a", taskq.PriorityLow), entry("b", taskq.PriorityHigh))
		require.NoError(t, err)
		require.Equal(t, 2, n)
		n, err = c.EnqueueNew(b.ctx, b.name, entry("a", taskq.PriorityLow), entry("c", taskq.PriorityLow), entry("c", taskq.PriorityLow))
		require.NoError(t, err)
		require.Equal(t, 1, n, "present and repeated ids are not counted")
		leases := b.lease(t, 10)
		require.Len(t, leases, 3)
		n, err = c.EnqueueNew(b.ctx, b.name, entry("b", taskq.PriorityHigh))
		require.NoError(t, err)
		require.Zero(t, n, "a leased id is present")
		n, err = c.EnqueueNew(b.ctx, b.name)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}
