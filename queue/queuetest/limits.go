package queuetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// typed is a ready entry of task type typ.
func typed(id, typ string, p taskq.TaskPriority) taskq.QueueEntry {
	return taskq.QueueEntry{ID: id, Priority: p, Type: typ}
}

// leaseLimited leases up to max entries under l.
func (b *bundle) leaseLimited(t *testing.T, max int, l *taskq.Limits) []taskq.Lease {
	t.Helper()
	return b.leaseParams(t, taskq.LeaseParams{Max: max, Limits: l})
}

func testLimits(t *testing.T, newQueue NewQueueFunc) {
	t.Run("TypeCapSkipsInPlace", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		l := &taskq.Limits{TypeConcurrency: map[string]int{"slow": 2}}
		b.enqueue(t, typed("s0", "slow", taskq.PriorityMedium), typed("s1", "slow", taskq.PriorityMedium),
			typed("s2", "slow", taskq.PriorityMedium), typed("s3", "slow", taskq.PriorityMedium),
			typed("f0", "fast", taskq.PriorityMedium), entry("u0", taskq.PriorityMedium))
		got := b.leaseLimited(t, 10, l)
		require.Equal(t, []string{"s0", "s1", "f0", "u0"}, ids(got), "capped entries are skipped, the others taken in order")
		require.Empty(t, b.leaseLimited(t, 10, l), "the type is at its cap")
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityMedium: 2}, 0, 4), b.stats(t))
		require.Equal(t, []string{"s2"}, ids(b.lease(t, 1)), "without limits the entry was left first in line")
		require.NoError(t, b.q.Ack(b.ctx, b.name, got[0]))
		require.Empty(t, b.leaseLimited(t, 10, l), "s1 and s2 are running")
		require.NoError(t, b.q.Ack(b.ctx, b.name, got[1]))
		require.Equal(t, []string{"s3"}, ids(b.leaseLimited(t, 10, l)))
	})

	t.Run("SkipsManyCappedInOrder", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		l := &taskq.Limits{TypeConcurrency: map[string]int{"a": 1}}
		all := idList("a", 150)
		entries := make([]taskq.QueueEntry, 0, len(all)+1)
		for _, id := range all {
			entries = append(entries, typed(id, "a", taskq.PriorityMedium))
		}
		b.enqueue(t, append(entries, typed("b", "b", taskq.PriorityMedium))...)
		require.Equal(t, []string{"a-0000", "b"}, ids(b.leaseLimited(t, 3, l)), "b is found behind 149 capped entries")
		require.Empty(t, b.leaseLimited(t, 3, l))
		require.Equal(t, all[1:], ids(b.lease(t, 200)), "the capped entries kept their order")
	})

	t.Run("QueueCap", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		l := &taskq.Limits{QueueConcurrency: map[string]int{b.name: 3}}
		b.enqueueIDs(t, taskq.PriorityHigh, idList("x", 5)...)
		got := b.leaseLimited(t, 10, l)
		require.Equal(t, idList("x", 3), ids(got))
		require.Empty(t, b.leaseLimited(t, 10, l))
		require.NoError(t, b.q.Ack(b.ctx, b.name, got[1]))
		require.Equal(t, []string{"x-0003"}, ids(b.leaseLimited(t, 10, l)))
		other := &taskq.Limits{QueueConcurrency: map[string]int{"another-queue": 1}}
		require.Equal(t, []string{"x-0004"}, ids(b.leaseLimited(t, 10, other)), "another queue's cap does not apply")
	})

	t.Run("PriorityOrderUnderCap", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		l := &taskq.Limits{TypeConcurrency: map[string]int{"a": 1}}
		b.enqueue(t, typed("a-low", "a", taskq.PriorityLow), typed("b-low", "b", taskq.PriorityLow),
			typed("a-crit", "a", taskq.PriorityCritical), typed("a-high", "a", taskq.PriorityHigh))
		got := b.leaseLimited(t, 10, l)
		require.Equal(t, []string{"a-crit", "b-low"}, ids(got))
		require.NoError(t, b.q.Ack(b.ctx, b.name, got[0]))
		require.Equal(t, []string{"a-high"}, ids(b.leaseLimited(t, 10, l)))
	})

	t.Run("Weighted", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		l := &taskq.Limits{TypeConcurrency: map[string]int{"a": 2}}
		for _, p := range []taskq.TaskPriority{taskq.PriorityLow, taskq.PriorityHigh} {
			for _, id := range idList("a"+p.String(), 3) {
				b.enqueue(t, typed(id, "a", p))
			}
		}
		got := b.leaseParams(t, taskq.LeaseParams{Max: 10, Limits: l, Weights: []int{1, 1, 1, 1}})
		require.Len(t, got, 2, "the cap holds with weights too")
		require.Empty(t, b.leaseParams(t, taskq.LeaseParams{Max: 10, Limits: l, Weights: []int{1, 1, 1, 1}}))
	})

	// Every way a lease ends gives its slot back exactly once: a counter
	// that leaked would stop the type for good.
	t.Run("CountsStayExact", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		l := &taskq.Limits{TypeConcurrency: map[string]int{"one": 1}}
		b.enqueue(t, typed("id", "one", taskq.PriorityMedium))
		one := func(msg string) taskq.Lease {
			t.Helper()
			got := b.leaseLimited(t, 5, l)
			require.Len(t, got, 1, msg)
			require.Empty(t, b.leaseLimited(t, 5, l), "cap of one: "+msg)
			return got[0]
		}
		// Ack, then the id comes back (a retry enqueued again).
		lease := one("first lease")
		require.NoError(t, b.q.Ack(b.ctx, b.name, lease))
		b.enqueue(t, typed("id", "one", taskq.PriorityMedium))
		// Requeue with the lease's token.
		lease = one("after ack")
		require.NoError(t, b.q.Requeue(b.ctx, b.name, taskq.QueueEntry{ID: "id", Priority: taskq.PriorityMedium, Token: lease.Token}))
		// Requeue without a token (a tool holding no lease).
		one("after requeue")
		require.NoError(t, b.q.Requeue(b.ctx, b.name, taskq.QueueEntry{ID: "id", Priority: taskq.PriorityMedium}))
		// Remove (cancellation).
		one("after token-less requeue")
		require.NoError(t, b.q.Remove(b.ctx, b.name, "id"))
		// An expired lease counts until reaped, and the reaper's lease
		// until it ends; a stale token frees nothing.
		b.enqueue(t, typed("id", "one", taskq.PriorityMedium))
		stale := b.leaseParams(t, taskq.LeaseParams{Max: 1, TTL: time.Minute, Now: time.Now().Add(-time.Hour), Limits: l})
		require.Len(t, stale, 1)
		b.enqueue(t, typed("other", "one", taskq.PriorityMedium))
		require.Empty(t, b.leaseLimited(t, 5, l), "an expired lease still counts")
		reaped := b.reap(t, 10, time.Hour)
		require.Equal(t, []string{"id"}, ids(reaped))
		require.Empty(t, b.leaseLimited(t, 5, l), "the reaper's lease counts once")
		require.NoError(t, b.q.Ack(b.ctx, b.name, stale[0]))
		require.NoError(t, b.q.Requeue(b.ctx, b.name, taskq.QueueEntry{ID: "id", Token: stale[0].Token}))
		require.Empty(t, b.leaseLimited(t, 5, l), "a stale token frees nothing")
		require.NoError(t, b.q.Requeue(b.ctx, b.name, taskq.QueueEntry{ID: "id", Priority: taskq.PriorityMedium, Token: reaped[0].Token}))
		got := b.leaseLimited(t, 5, l)
		require.Equal(t, []string{"other"}, ids(got), "the reaper's requeue freed the slot")
		require.Empty(t, b.leaseLimited(t, 5, l))
		require.NoError(t, b.q.Ack(b.ctx, b.name, got[0]))
		require.Equal(t, []string{"id"}, ids(b.leaseLimited(t, 5, l)))
		require.Equal(t, stats(nil, 0, 1), b.stats(t))
	})

	t.Run("TypeKeptThroughRequeue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		l := &taskq.Limits{TypeConcurrency: map[string]int{"one": 1}}
		b.enqueue(t, typed("a", "one", taskq.PriorityMedium), typed("b", "one", taskq.PriorityMedium))
		got := b.leaseLimited(t, 5, l)
		require.Equal(t, []string{"a"}, ids(got))
		// A requeue naming no type keeps the type recorded at enqueue.
		require.NoError(t, b.q.Requeue(b.ctx, b.name, taskq.QueueEntry{ID: "a", Priority: taskq.PriorityMedium, Token: got[0].Token}))
		got = b.leaseLimited(t, 5, l)
		require.Len(t, got, 1)
		require.Empty(t, b.leaseLimited(t, 5, l), "the requeued entry is still of the capped type")
	})

	t.Run("StartRate", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		l := &taskq.Limits{TypeRate: map[string]taskq.Rate{"r": {N: 2, Per: time.Hour}}}
		for _, id := range idList("r", 5) {
			b.enqueue(t, typed(id, "r", taskq.PriorityMedium))
		}
		b.enqueue(t, typed("free", "f", taskq.PriorityMedium))
		now := time.Now()
		at := func(d time.Duration) []taskq.Lease {
			t.Helper()
			return b.leaseParams(t, taskq.LeaseParams{Max: 10, Limits: l, Now: now.Add(d)})
		}
		got := at(0)
		require.Equal(t, []string{"r-0000", "r-0001", "free"}, ids(got), "a full bucket allows a burst of N")
		require.NoError(t, b.q.Ack(b.ctx, b.name, got...))
		require.Empty(t, at(time.Second), "finished starts still count against the rate")
		require.Equal(t, []string{"r-0002"}, ids(at(31*time.Minute)), "half the period refills one token")
		require.Empty(t, at(32*time.Minute))
		require.Equal(t, []string{"r-0003", "r-0004"}, ids(at(5*time.Hour)), "the bucket holds at most N")
	})

	t.Run("ConcurrentLeasesHoldTheCap", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		l := &taskq.Limits{TypeConcurrency: map[string]int{"c": 3}}
		for _, id := range idList("c", 20) {
			b.enqueue(t, typed(id, "c", taskq.PriorityMedium))
		}
		var (
			mu  sync.Mutex
			all []taskq.Lease
			wg  sync.WaitGroup
		)
		for range 8 {
			wg.Go(func() {
				got, err := b.q.Lease(b.ctx, taskq.LeaseParams{Queue: b.name, Max: 2, TTL: leaseTTL, Limits: l})
				if err == nil {
					mu.Lock()
					all = append(all, got...)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Len(t, all, 3, "concurrent consumers together hold the cap")
	})
}
