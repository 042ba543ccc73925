package queuetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func testLease(t *testing.T, newQueue NewQueueFunc) {
	t.Run("EmptyQueue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		require.Empty(t, b.lease(t, 10))
		require.Zero(t, b.stats(t).Total())
	})

	t.Run("PriorityThenFIFO", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		// 40 ids whose priorities cycle irregularly, enqueued in four calls.
		var entries []taskq.QueueEntry
		for i := range 40 {
			p := taskq.TaskPriority((i*7 + i/3) % taskq.NumPriorities)
			entries = append(entries, entry(fmt.Sprintf("t-%02d", i), p))
		}
		for c := range slices.Chunk(entries, 10) {
			b.enqueue(t, c...)
		}
		want := slices.Clone(entries)
		slices.SortStableFunc(want, func(x, y taskq.QueueEntry) int { return int(y.Priority) - int(x.Priority) })

		got := b.lease(t, 3)
		got = append(got, b.lease(t, 1)...)
		got = append(got, b.lease(t, 100)...)
		require.Len(t, got, len(want))
		for i, l := range got {
			require.Equal(t, want[i].ID, l.ID, "lease %d", i)
			require.Equal(t, want[i].Priority, l.Priority, "lease %d", i)
		}
	})

	t.Run("MaxHonoured", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueueIDs(t, taskq.PriorityMedium, idList("m", 10)...)
		require.Len(t, b.lease(t, 3), 3)
		require.Len(t, b.lease(t, 1), 1)
		require.Len(t, b.lease(t, 3), 3)
		require.Len(t, b.lease(t, 10), 3)
		require.Empty(t, b.lease(t, 10))
		require.Equal(t, stats(nil, 0, 10), b.stats(t))
	})

	t.Run("DeadlineFromNow", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityLow))
		now := time.Now().Add(3 * time.Hour).Truncate(time.Millisecond)
		leases := b.leaseParams(t, taskq.LeaseParams{Max: 1, TTL: 90 * time.Second, Now: now})
		require.Len(t, leases, 1)
		require.WithinDuration(t, now.Add(90*time.Second), leases[0].Deadline, time.Second)
	})

	t.Run("ScheduledNotBeforeRunAt", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		runAt := time.Now().Add(time.Hour)
		b.enqueue(t, entryAt("s", taskq.PriorityCritical, runAt))
		require.Empty(t, b.lease(t, 10))
		require.Empty(t, b.leaseAt(t, 10, runAt.Add(-time.Second)))
		require.Equal(t, stats(nil, 1, 0), b.stats(t))

		leases := b.leaseAt(t, 10, runAt.Add(time.Second))
		require.Equal(t, []string{"s"}, ids(leases))
		require.Equal(t, taskq.PriorityCritical, leases[0].Priority)
		require.Equal(t, stats(nil, 0, 1), b.stats(t))
	})

	t.Run("ScheduledRealTime", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		runAt := time.Now().Add(150 * time.Millisecond)
		b.enqueue(t, entryAt("s", taskq.PriorityMedium, runAt))
		var got []taskq.Lease
		eventually(t, 3*time.Second, func() bool {
			got = b.lease(t, 10)
			end := time.Now()
			if len(got) == 0 {
				return false
			}
			// The Lease ran before end; backends may round run times to
			// the millisecond.
			require.False(t, end.Before(runAt.Add(-5*time.Millisecond)),
				"entry leased %s before its run time", runAt.Sub(end))
			return true
		}, "scheduled entry becomes leasable")
		require.Equal(t, []string{"s"}, ids(got))
	})

	t.Run("ScheduledJoinAfterReady", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		now := time.Now()
		b.enqueue(t,
			entryAt("s1", taskq.PriorityMedium, now.Add(2*time.Hour)),
			entry("r", taskq.PriorityMedium),
			entryAt("s2", taskq.PriorityMedium, now.Add(time.Hour)),
			entryAt("c", taskq.PriorityCritical, now.Add(90*time.Minute)),
			entry("l", taskq.PriorityLow),
		)
		require.Equal(t, []string{"r"}, ids(b.leaseAt(t, 1, now.Add(time.Minute))))
		require.Equal(t, []string{"c", "s2", "s1", "l"}, ids(b.leaseAt(t, 10, now.Add(3*time.Hour))))
	})

	t.Run("LeasedNotLeasedAgain", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueueIDs(t, taskq.PriorityMedium, "a", "b")
		require.Len(t, b.lease(t, 10), 2)
		require.Empty(t, b.lease(t, 10))

		// Expired but not reaped: still leased.
		c := setup(t, newQueue)
		c.enqueueIDs(t, taskq.PriorityMedium, "a", "b")
		require.Len(t, c.leaseExpired(t, 10), 2)
		require.Empty(t, c.lease(t, 10))
		require.Empty(t, c.leaseAt(t, 10, time.Now().Add(24*time.Hour)))
		require.Equal(t, stats(nil, 0, 2), c.stats(t))
	})

	t.Run("StrictNeverLower", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		for _, p := range taskq.Priorities() {
			b.enqueueIDs(t, p, idList(p.String(), 30)...)
		}
		for i := range 20 {
			leases := b.lease(t, 1)
			require.Len(t, leases, 1)
			require.Equal(t, taskq.PriorityCritical, leases[0].Priority, "lease %d", i)
		}
		for _, l := range b.lease(t, 10) {
			require.Equal(t, taskq.PriorityCritical, l.Priority)
		}
		for _, l := range b.lease(t, 30) {
			require.Equal(t, taskq.PriorityHigh, l.Priority)
		}
	})

	t.Run("WeightedReachesLower", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		const per = 150
		for _, p := range taskq.Priorities() {
			b.enqueueIDs(t, p, idList(p.String(), per)...)
		}
		// Equal weights: 100 single leases give each priority 25 on average;
		// fewer than 5 has a probability below 1e-5.
		var count [taskq.NumPriorities]int
		for range 100 {
			leases := b.leaseParams(t, taskq.LeaseParams{Max: 1, Weights: []int{1, 1, 1, 1}})
			require.Len(t, leases, 1)
			count[leases[0].Priority]++
		}
		for p, n := range count {
			require.GreaterOrEqual(t, n, 5, "priority %s leased %d of 100 times with equal weights: %v", taskq.TaskPriority(p), n, count)
		}

		// Weights 1:2:3:4 (low..critical) in batches: low gets 10% on average.
		count = [taskq.NumPriorities]int{}
		for range 10 {
			for _, l := range b.leaseParams(t, taskq.LeaseParams{Max: 10, Weights: []int{1, 2, 3, 4}}) {
				count[l.Priority]++
			}
		}
		require.Equal(t, 100, count[0]+count[1]+count[2]+count[3])
		require.GreaterOrEqual(t, count[taskq.PriorityLow], 1, "low never leased with weights 1:2:3:4: %v", count)
		require.Greater(t, count[taskq.PriorityCritical], count[taskq.PriorityLow], "weights 1:2:3:4 favour critical: %v", count)
	})

	t.Run("WeightedTakesWhatIsThere", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueueIDs(t, taskq.PriorityLow, idList("l", 5)...)
		leases := b.leaseParams(t, taskq.LeaseParams{Max: 10, Weights: []int{1, 10, 10, 10}})
		require.Equal(t, idList("l", 5), ids(leases), "weights never leave ready entries behind or reorder a priority")
	})
}
