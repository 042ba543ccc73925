package queuetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// testFence checks lease tokens: a holder whose lease was reaped and
// leased again (to the reaper, or to a new consumer after a requeue) can
// no longer extend, acknowledge or requeue the id.
func testFence(t *testing.T, newQueue NewQueueFunc) {
	t.Run("TokensUnique", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueueIDs(t, taskq.PriorityMedium, idList("a", 5)...)
		seen := map[int64]bool{}
		note := func(ls []taskq.Lease) {
			for _, l := range ls {
				require.NotZero(t, l.Token, "lease of %s has no token", l.ID)
				require.False(t, seen[l.Token], "token %d handed out twice", l.Token)
				seen[l.Token] = true
			}
		}
		first := b.leaseExpired(t, 5)
		require.Len(t, first, 5)
		note(first)
		reaped := b.reap(t, 10, time.Hour)
		require.Len(t, reaped, 5)
		note(reaped)
		for _, l := range reaped {
			require.NoError(t, b.q.Requeue(b.ctx, b.name, taskq.QueueEntry{ID: l.ID, Priority: l.Priority, Token: l.Token}))
		}
		again := b.lease(t, 5)
		require.Len(t, again, 5)
		note(again)
	})

	// stale returns the expired lease of "a" and the lease that replaced
	// it: reaped by another consumer, requeued, and leased again.
	stale := func(t *testing.T, b *bundle) (old, cur taskq.Lease) {
		t.Helper()
		b.enqueue(t, entry("a", taskq.PriorityHigh))
		ls := b.leaseExpired(t, 1)
		require.Len(t, ls, 1)
		rs := b.reap(t, 1, time.Hour)
		require.Len(t, rs, 1)
		require.NotEqual(t, ls[0].Token, rs[0].Token)
		require.NoError(t, b.q.Requeue(b.ctx, b.name, taskq.QueueEntry{ID: "a", Priority: taskq.PriorityHigh, Token: rs[0].Token}))
		cur2 := b.lease(t, 1)
		require.Len(t, cur2, 1)
		return ls[0], cur2[0]
	}

	t.Run("StaleExtendIsLost", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		old, cur := stale(t, b)
		lost, err := b.q.Extend(b.ctx, b.name, []taskq.Lease{old, cur}, time.Hour)
		require.NoError(t, err)
		require.Equal(t, []taskq.Lease{old}, lost, "the old token is lost, the current one held")
	})

	t.Run("StaleAckDoesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		old, cur := stale(t, b)
		require.NoError(t, b.q.Ack(b.ctx, b.name, old))
		require.Equal(t, stats(nil, 0, 1), b.stats(t), "a stale ack leaves the live lease")
		lost, err := b.q.Extend(b.ctx, b.name, []taskq.Lease{cur}, time.Hour)
		require.NoError(t, err)
		require.Empty(t, lost)
		require.NoError(t, b.q.Ack(b.ctx, b.name, cur))
		require.Zero(t, b.stats(t).Total())
	})

	t.Run("StaleRequeueDoesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		old, cur := stale(t, b)
		require.NoError(t, b.q.Requeue(b.ctx, b.name, taskq.QueueEntry{ID: "a", Priority: taskq.PriorityHigh, Token: old.Token}))
		require.Equal(t, stats(nil, 0, 1), b.stats(t), "a stale requeue leaves the live lease")
		require.Empty(t, b.lease(t, 1))
		lost, err := b.q.Extend(b.ctx, b.name, []taskq.Lease{cur}, time.Hour)
		require.NoError(t, err)
		require.Empty(t, lost)
	})

	t.Run("StaleRequeueOfAckedIDDoesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		old, cur := stale(t, b)
		require.NoError(t, b.q.Ack(b.ctx, b.name, cur))
		require.NoError(t, b.q.Requeue(b.ctx, b.name, taskq.QueueEntry{ID: "a", Priority: taskq.PriorityHigh, Token: old.Token}))
		require.Zero(t, b.stats(t).Total(), "a stale requeue does not bring back a finished task")
	})

	t.Run("ReapedTokenStaysWithReaper", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityLow))
		ls := b.leaseExpired(t, 1)
		require.Len(t, ls, 1)
		rs := b.reap(t, 1, time.Hour)
		require.Len(t, rs, 1)
		lost, err := b.q.Extend(b.ctx, b.name, []taskq.Lease{ls[0]}, time.Hour)
		require.NoError(t, err)
		require.Len(t, lost, 1, "the expired holder's heartbeat does not extend the reaper's lease")
		require.NoError(t, b.q.Ack(b.ctx, b.name, ls[0]))
		require.Equal(t, stats(nil, 0, 1), b.stats(t))
		require.NoError(t, b.q.Ack(b.ctx, b.name, rs[0]))
		require.Zero(t, b.stats(t).Total())
	})
}
