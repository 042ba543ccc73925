package queuetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// NewQueueFunc returns a fresh Queue for one test and registers its cleanup
// (Close, stopping a server) with t.Cleanup.
type NewQueueFunc func(t *testing.T) taskq.Queue

// Run runs the conformance suite against the Queues that newQueue returns.
// Each case calls t.Parallel and asks newQueue for its own instance.
func Run(t *testing.T, newQueue func(t *testing.T) taskq.Queue) {
	t.Helper()
	f := NewQueueFunc(newQueue)
	areas := []struct {
		name string
		run  func(*testing.T, NewQueueFunc)
	}{
		{"Enqueue", testEnqueue},
		{"Lease", testLease},
		{"Extend", testExtend},
		{"Ack", testAck},
		{"Fence", testFence},
		{"Requeue", testRequeue},
		{"Remove", testRemove},
		{"Reap", testReap},
		{"Wait", testWait},
		{"Stats", testStats},
		{"Isolation", testIsolation},
		{"Concurrency", testConcurrency},
		{"EnqueueCounter", testEnqueueCounter},
		{"Limits", testLimits},
		{"Fair", testFair},
	}
	for _, a := range areas {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			a.run(t, f)
		})
	}
}

// leaseTTL is the TTL of leases that must not expire during a case.
const leaseTTL = time.Hour

// bundle is what a case works with.
type bundle struct {
	ctx  context.Context
	q    taskq.Queue
	name string
}

// setup returns a fresh Queue and a queue name unique to the case.
func setup(t *testing.T, newQueue NewQueueFunc) *bundle {
	t.Helper()
	q := newQueue(t)
	require.NotNil(t, q, "newQueue returned nil")
	return &bundle{ctx: t.Context(), q: q, name: queueName(t)}
}

// queueName derives a queue name from t.Name() with a random suffix, using
// only the characters [A-Za-z0-9._:-].
func queueName(t *testing.T) string {
	var b strings.Builder
	b.WriteString("qt:")
	for _, r := range t.Name() {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '.', r == ':', r == '-':
			b.WriteRune(r)
		case r == '/':
			b.WriteByte('.')
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 96 {
			break
		}
	}
	fmt.Fprintf(&b, ":%08x", rand.Uint32())
	return b.String()
}

// entry is a ready entry.
func entry(id string, p taskq.TaskPriority) taskq.QueueEntry {
	return taskq.QueueEntry{ID: id, Priority: p}
}

// entryAt is an entry that runs at runAt.
func entryAt(id string, p taskq.TaskPriority, runAt time.Time) taskq.QueueEntry {
	return taskq.QueueEntry{ID: id, Priority: p, RunAt: runAt}
}

// idList returns n ids prefix-0 ... prefix-(n-1).
func idList(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return ids
}

func (b *bundle) enqueue(t *testing.T, entries ...taskq.QueueEntry) {
	t.Helper()
	require.NoError(t, b.q.Enqueue(b.ctx, b.name, entries...))
}

// enqueueIDs enqueues ready entries of priority p.
func (b *bundle) enqueueIDs(t *testing.T, p taskq.TaskPriority, ids ...string) {
	t.Helper()
	entries := make([]taskq.QueueEntry, len(ids))
	for i, id := range ids {
		entries[i] = entry(id, p)
	}
	b.enqueue(t, entries...)
}

// leaseParams leases from b's queue with p (Queue and a default TTL
// filled in).
func (b *bundle) leaseParams(t *testing.T, p taskq.LeaseParams) []taskq.Lease {
	t.Helper()
	p.Queue = b.name
	if p.TTL == 0 {
		p.TTL = leaseTTL
	}
	leases, err := b.q.Lease(b.ctx, p)
	require.NoError(t, err)
	require.LessOrEqual(t, len(leases), p.Max, "Lease returned more than Max")
	return leases
}

// lease leases up to max entries for an hour.
func (b *bundle) lease(t *testing.T, max int) []taskq.Lease {
	t.Helper()
	return b.leaseParams(t, taskq.LeaseParams{Max: max})
}

// leaseAt leases up to max entries as if the time were now.
func (b *bundle) leaseAt(t *testing.T, max int, now time.Time) []taskq.Lease {
	t.Helper()
	return b.leaseParams(t, taskq.LeaseParams{Max: max, Now: now})
}

// leaseExpired leases up to max entries with leases that expired an hour
// ago (LeaseParams.Now in the past).
func (b *bundle) leaseExpired(t *testing.T, max int) []taskq.Lease {
	t.Helper()
	return b.leaseParams(t, taskq.LeaseParams{Max: max, TTL: time.Minute, Now: time.Now().Add(-time.Hour)})
}

func (b *bundle) stats(t *testing.T) taskq.QueueStats {
	t.Helper()
	s, err := b.q.Stats(b.ctx, b.name)
	require.NoError(t, err)
	return s
}

// extend extends the leases of ids whatever their tokens (token zero) and
// returns the ids lost.
func (b *bundle) extend(t *testing.T, ttl time.Duration, idList ...string) []string {
	t.Helper()
	leases := make([]taskq.Lease, len(idList))
	for i, id := range idList {
		leases[i] = taskq.Lease{ID: id}
	}
	lost, err := b.q.Extend(b.ctx, b.name, leases, ttl)
	require.NoError(t, err)
	return ids(lost)
}

func (b *bundle) reap(t *testing.T, max int, ttl time.Duration) []taskq.Lease {
	t.Helper()
	leases, err := b.q.Reap(b.ctx, b.name, max, ttl)
	require.NoError(t, err)
	require.LessOrEqual(t, len(leases), max, "Reap returned more than max")
	return leases
}

// ids returns the ids of leases, in order.
func ids(leases []taskq.Lease) []string {
	out := make([]string, len(leases))
	for i, l := range leases {
		out[i] = l.ID
	}
	return out
}

// stats builds the expected QueueStats.
func stats(ready map[taskq.TaskPriority]int64, scheduled, leased int64) taskq.QueueStats {
	s := taskq.QueueStats{Scheduled: scheduled, Leased: leased}
	for p, n := range ready {
		s.Ready[p] = n
	}
	return s
}

// eventually polls cond every 10ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", timeout, msg)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("test ended while waiting: %s", msg)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
