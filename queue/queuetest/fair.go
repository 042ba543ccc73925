package queuetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// owned is a ready entry of owner.
func owned(id, owner string, p taskq.TaskPriority) taskq.QueueEntry {
	return taskq.QueueEntry{ID: id, Priority: p, Owner: owner}
}

// ownedIDs returns n entries of owner, ids owner-0000 ... in order.
func ownedIDs(owner string, n int, p taskq.TaskPriority) []taskq.QueueEntry {
	out := make([]taskq.QueueEntry, n)
	for i := range out {
		out[i] = owned(fmt.Sprintf("%s-%04d", owner, i), owner, p)
	}
	return out
}

// leaseOneByOne leases n entries, one per call, and returns their ids.
func (b *bundle) leaseOneByOne(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		got := b.lease(t, 1)
		require.Len(t, got, 1)
		out = append(out, got[0].ID)
	}
	return out
}

// requireRounds checks that got is the rounds in order, each round in any
// order (backends order a round differently).
func requireRounds(t *testing.T, rounds [][]string, got []string, msg string) {
	t.Helper()
	for i, r := range rounds {
		require.GreaterOrEqual(t, len(got), len(r), "%s: round %d missing", msg, i)
		require.ElementsMatch(t, r, got[:len(r)], "%s: round %d", msg, i)
		got = got[len(r):]
	}
	require.Empty(t, got, "%s: more than the rounds", msg)
}

func testFair(t *testing.T, newQueue NewQueueFunc) {
	t.Run("NewOwnerJoinsCurrentRound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, ownedIDs("a", 200, taskq.PriorityMedium)...)
		first := b.leaseOneByOne(t, 3)
		require.Equal(t, []string{"a-0000", "a-0001", "a-0002"}, first, "one owner alone keeps its order")
		b.enqueue(t, owned("b-0000", "b", taskq.PriorityMedium))
		next := b.leaseOneByOne(t, 2)
		require.Contains(t, next, "b-0000", "b's entry waits for at most one of a's 197")
		rest := ids(b.lease(t, 300))
		require.Len(t, rest, 196)
		require.NotContains(t, rest, "b-0000")
		for i := 1; i < len(rest); i++ {
			require.Less(t, rest[i-1], rest[i], "a's entries keep their order")
		}
	})

	t.Run("RoundRobin", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		for _, o := range []string{"a", "b", "c"} {
			b.enqueue(t, ownedIDs(o, 30, taskq.PriorityMedium)...)
		}
		got := b.leaseOneByOne(t, 30)
		var rounds [][]string
		for i := range 10 {
			rounds = append(rounds, []string{fmt.Sprintf("a-%04d", i), fmt.Sprintf("b-%04d", i), fmt.Sprintf("c-%04d", i)})
		}
		requireRounds(t, rounds, got, "30 leases of three owners' bursts")
	})

	t.Run("OneLeaseSpansOwners", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, ownedIDs("a", 100, taskq.PriorityMedium)...)
		b.enqueue(t, ownedIDs("b", 5, taskq.PriorityMedium)...)
		got := ids(b.lease(t, 10))
		var rounds [][]string
		for i := range 5 {
			rounds = append(rounds, []string{fmt.Sprintf("a-%04d", i), fmt.Sprintf("b-%04d", i)})
		}
		requireRounds(t, rounds, got, "one lease of 10")
	})

	t.Run("PriorityBeforeFairness", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, ownedIDs("a", 5, taskq.PriorityHigh)...)
		b.enqueue(t, owned("b-0000", "b", taskq.PriorityMedium))
		require.Equal(t, []string{"a-0000", "a-0001", "a-0002", "a-0003", "a-0004", "b-0000"}, b.leaseOneByOne(t, 6),
			"fair sharing is inside a priority")
	})

	t.Run("UnownedShareOneOwner", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueueIDs(t, taskq.PriorityMedium, idList("u", 20)...)
		b.enqueue(t, owned("b-0000", "b", taskq.PriorityMedium))
		got := b.leaseOneByOne(t, 21)
		requireRounds(t, [][]string{{"u-0000", "b-0000"}}, got[:2], "entries without an owner are one owner")
		require.Equal(t, idList("u", 20)[1:], got[2:], "and keep their order")
	})

	t.Run("RequeueKeepsOwner", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, ownedIDs("a", 10, taskq.PriorityMedium)...)
		l := b.lease(t, 1)
		require.Equal(t, []string{"a-0000"}, ids(l))
		// Given back without its owner, as a worker does: it goes behind
		// its owner's other entries, not into the current round.
		require.NoError(t, b.q.Requeue(b.ctx, b.name, taskq.QueueEntry{ID: l[0].ID, Priority: l[0].Priority, Token: l[0].Token}))
		got := b.leaseOneByOne(t, 10)
		require.Equal(t, append(ids(ownedLeases(ownedIDs("a", 10, taskq.PriorityMedium)[1:])), "a-0000"), got)
	})

	t.Run("RemoveKeepsRounds", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, ownedIDs("a", 3, taskq.PriorityMedium)...)
		b.enqueue(t, ownedIDs("b", 3, taskq.PriorityMedium)...)
		require.NoError(t, b.q.Remove(b.ctx, b.name, "a-0001", "b-0000"))
		b.enqueue(t, owned("c-0000", "c", taskq.PriorityMedium))
		got := ids(b.lease(t, 10))
		requireRounds(t, [][]string{{"a-0000", "c-0000"}, {"b-0001"}, {"a-0002", "b-0002"}}, got, "after removals")
	})

	t.Run("PromotedBurstIsShared", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		at := time.Now().Add(time.Hour)
		burst := make([]taskq.QueueEntry, 40)
		for i := range burst {
			burst[i] = taskq.QueueEntry{ID: fmt.Sprintf("a-%04d", i), Priority: taskq.PriorityMedium, Owner: "a", RunAt: at}
		}
		b.enqueue(t, burst...)
		b.enqueue(t, taskq.QueueEntry{ID: "b-0000", Priority: taskq.PriorityMedium, Owner: "b", RunAt: at.Add(time.Minute)})
		got := ids(b.leaseAt(t, 2, at.Add(time.Hour)))
		requireRounds(t, [][]string{{"a-0000", "b-0000"}}, got,
			"due scheduled entries get rounds when they become ready: b's, due later, still joins the first round")
	})

	t.Run("LimitsFollowRounds", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		l := &taskq.Limits{TypeConcurrency: map[string]int{"t": 3}}
		var es []taskq.QueueEntry
		for i := range 20 {
			es = append(es, taskq.QueueEntry{ID: fmt.Sprintf("a-%04d", i), Priority: taskq.PriorityMedium, Owner: "a", Type: "t"})
		}
		b.enqueue(t, es...)
		b.enqueue(t, taskq.QueueEntry{ID: "b-0000", Priority: taskq.PriorityMedium, Owner: "b", Type: "t"})
		got := ids(b.leaseLimited(t, 10, l))
		requireRounds(t, [][]string{{"a-0000", "b-0000"}, {"a-0001"}}, got, "capped lease in round order")
	})

	t.Run("WeightedFollowRounds", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, ownedIDs("a", 20, taskq.PriorityLow)...)
		b.enqueue(t, owned("b-0000", "b", taskq.PriorityLow))
		got := ids(b.leaseParams(t, taskq.LeaseParams{Max: 2, Weights: []int{1, 1, 1, 1}}))
		requireRounds(t, [][]string{{"a-0000", "b-0000"}}, got, "weighted lease in round order")
	})
}

// ownedLeases turns entries into leases of the same ids (for ids).
func ownedLeases(es []taskq.QueueEntry) []taskq.Lease {
	out := make([]taskq.Lease, len(es))
	for i, e := range es {
		out[i] = taskq.Lease{ID: e.ID}
	}
	return out
}
