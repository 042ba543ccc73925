package queuetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func testReap(t *testing.T, newQueue NewQueueFunc) {
	t.Run("OnlyExpired", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("live", taskq.PriorityHigh))
		require.Len(t, b.lease(t, 1), 1)
		require.Empty(t, b.reap(t, 10, time.Hour), "a live lease is not reaped")

		b.enqueue(t, entry("dead", taskq.PriorityLow), entry("ready", taskq.PriorityLow))
		require.Equal(t, []string{"dead"}, ids(b.leaseExpired(t, 1)))

		now := time.Now()
		reaped := b.reap(t, 10, 2*time.Hour)
		require.Equal(t, []string{"dead"}, ids(reaped))
		require.Equal(t, taskq.PriorityLow, reaped[0].Priority)
		require.WithinDuration(t, now.Add(2*time.Hour), reaped[0].Deadline, 2*time.Second)
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityLow: 1}, 0, 2), b.stats(t))
	})

	t.Run("ReleasesToCaller", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Len(t, b.leaseExpired(t, 1), 1)
		require.Equal(t, []string{"a"}, ids(b.reap(t, 10, time.Hour)))
		require.Empty(t, b.reap(t, 10, time.Hour), "a reaped id is leased again, not expired")
		require.Empty(t, b.lease(t, 10), "a reaped id is not ready")
		require.Empty(t, b.extend(t, time.Hour, "a"), "the reaper holds the lease")
		require.NoError(t, b.q.Ack(b.ctx, b.name, taskq.Lease{ID: "a"}))
		require.Zero(t, b.stats(t).Total())
	})

	t.Run("MaxHonoured", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		all := idList("x", 5)
		b.enqueueIDs(t, taskq.PriorityMedium, all...)
		require.Len(t, b.leaseExpired(t, 5), 5)
		var got []string
		for _, n := range []int{2, 2, 1} {
			r := b.reap(t, 2, time.Hour)
			require.Len(t, r, n)
			got = append(got, ids(r)...)
		}
		require.Empty(t, b.reap(t, 2, time.Hour))
		require.ElementsMatch(t, all, got)
	})

	t.Run("ExpiresAgain", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Len(t, b.leaseExpired(t, 1), 1)
		require.Len(t, b.reap(t, 1, 50*time.Millisecond), 1)
		// The reaper crashed: its short lease runs out and the id comes
		// back to the next Reap.
		eventually(t, 3*time.Second, func() bool {
			return len(b.reap(t, 1, time.Hour)) == 1
		}, "a reaped lease expires again")
	})

	t.Run("RealTimeExpiry", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		leased := time.Now()
		require.Len(t, b.leaseParams(t, taskq.LeaseParams{Max: 1, TTL: 100 * time.Millisecond}), 1)
		eventually(t, 3*time.Second, func() bool {
			r := b.reap(t, 10, time.Hour)
			end := time.Now()
			if len(r) == 0 {
				return false
			}
			require.Equal(t, []string{"a"}, ids(r))
			require.GreaterOrEqual(t, end.Sub(leased), 95*time.Millisecond, "reaped before the lease expired")
			return true
		}, "an expired lease is reaped")
	})

	t.Run("EmptyQueue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		require.Empty(t, b.reap(t, 10, time.Hour))
	})
}
