package redisqueue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testclock"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
)

// newClock is a settable Config.Now.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
}

func entry(id string, p taskq.TaskPriority) taskq.QueueEntry {
	return taskq.QueueEntry{ID: id, Priority: p}
}

func ids(ls []taskq.Lease) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}

// TestScripts checks each script on one shared redis-server; every subtest
// has its own key prefix.
func TestScripts(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	url := srv.URL()
	setup := func(t *testing.T) (*redisqueue.Queue, *testclock.Clock, context.Context) {
		t.Helper()
		c := newClock()
		return newQueue(t, url, redisqueue.Config{Now: c.Now}), c, ctxT(t)
	}
	const ttl = 10 * time.Second

	t.Run("EnqueueIsIdempotent", func(t *testing.T) {
		t.Parallel()
		q, _, ctx := setup(t)
		require.NoError(t, q.Enqueue(ctx, "q", entry("a", taskq.PriorityMedium), entry("b", taskq.PriorityMedium)))
		require.NoError(t, q.Enqueue(ctx, "q", entry("a", taskq.PriorityCritical), entry("a", taskq.PriorityLow)))
		st, err := q.Stats(ctx, "q")
		require.NoError(t, err)
		require.Equal(t, taskq.QueueStats{Ready: [4]int64{0, 2, 0, 0}}, st)

		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: ttl})
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, ids(ls))
		require.Equal(t, taskq.PriorityMedium, ls[0].Priority)
		// Leased: enqueueing again changes nothing.
		require.NoError(t, q.Enqueue(ctx, "q", entry("a", taskq.PriorityHigh)))
		st, err = q.Stats(ctx, "q")
		require.NoError(t, err)
		require.Equal(t, taskq.QueueStats{Ready: [4]int64{0, 1, 0, 0}, Leased: 1}, st)
	})

	t.Run("LeaseStrictPriorityFIFO", func(t *testing.T) {
		t.Parallel()
		q, c, ctx := setup(t)
		require.NoError(t, q.Enqueue(ctx, "q",
			entry("low1", taskq.PriorityLow), entry("crit1", taskq.PriorityCritical),
			entry("med1", taskq.PriorityMedium), entry("crit2", taskq.PriorityCritical)))
		require.NoError(t, q.Enqueue(ctx, "q", entry("high1", taskq.PriorityHigh), entry("low2", taskq.PriorityLow)))
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 4, TTL: ttl})
		require.NoError(t, err)
		require.Equal(t, []string{"crit1", "crit2", "high1", "med1"}, ids(ls))
		require.Equal(t, []taskq.TaskPriority{3, 3, 2, 1}, []taskq.TaskPriority{ls[0].Priority, ls[1].Priority, ls[2].Priority, ls[3].Priority})
		for _, l := range ls {
			require.Equal(t, c.Now().Add(ttl).UnixMilli(), l.Deadline.UnixMilli())
		}
		ls, err = q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: ttl})
		require.NoError(t, err)
		require.Equal(t, []string{"low1", "low2"}, ids(ls))
		ls, err = q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: ttl})
		require.NoError(t, err)
		require.Empty(t, ls)
	})

	t.Run("ScheduledPromotedWhenDue", func(t *testing.T) {
		t.Parallel()
		q, c, ctx := setup(t)
		now := c.Now()
		require.NoError(t, q.Enqueue(ctx, "q",
			taskq.QueueEntry{ID: "later", Priority: taskq.PriorityLow, RunAt: now.Add(2 * time.Hour)},
			taskq.QueueEntry{ID: "soon", Priority: taskq.PriorityLow, RunAt: now.Add(time.Hour)},
			taskq.QueueEntry{ID: "past", Priority: taskq.PriorityLow, RunAt: now.Add(-time.Hour)}))
		st, err := q.Stats(ctx, "q")
		require.NoError(t, err)
		require.Equal(t, taskq.QueueStats{Ready: [4]int64{1, 0, 0, 0}, Scheduled: 2}, st)

		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: ttl})
		require.NoError(t, err)
		require.Equal(t, []string{"past"}, ids(ls))
		// LeaseParams.Now overrides the clock.
		ls, err = q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: ttl, Now: now.Add(3 * time.Hour)})
		require.NoError(t, err)
		require.Equal(t, []string{"soon", "later"}, ids(ls), "promoted in run-at order")
		require.Equal(t, now.Add(3*time.Hour+ttl).UnixMilli(), ls[0].Deadline.UnixMilli())
	})

	t.Run("PromoteBatchBoundsOneLease", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		q := newQueue(t, url, redisqueue.Config{Now: c.Now, PromoteBatch: 3})
		ctx := ctxT(t)
		var es []taskq.QueueEntry
		for i := range 5 {
			es = append(es, taskq.QueueEntry{ID: fmt.Sprint(i), Priority: taskq.PriorityHigh, RunAt: c.Now().Add(time.Duration(i+1) * time.Second)})
		}
		require.NoError(t, q.Enqueue(ctx, "q", es...))
		c.Advance(time.Minute)
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: ttl})
		require.NoError(t, err)
		require.Equal(t, []string{"0", "1", "2"}, ids(ls))
		ls, err = q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: ttl})
		require.NoError(t, err)
		require.Equal(t, []string{"3", "4"}, ids(ls))
	})

	t.Run("WeightedLease", func(t *testing.T) {
		t.Parallel()
		q, _, ctx := setup(t)
		var es []taskq.QueueEntry
		for p := range taskq.NumPriorities {
			for i := range 1000 {
				es = append(es, entry(fmt.Sprintf("p%d-%d", p, i), taskq.TaskPriority(p)))
			}
		}
		require.NoError(t, q.Enqueue(ctx, "q", es...))
		var got [taskq.NumPriorities]int
		for range 20 {
			ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 75, TTL: ttl, Weights: []int{1, 2, 4, 8}})
			require.NoError(t, err)
			require.Len(t, ls, 75)
			for _, l := range ls {
				require.True(t, strings.HasPrefix(l.ID, fmt.Sprintf("p%d-", l.Priority)))
				got[l.Priority]++
			}
		}
		// 1500 draws with shares 1/15, 2/15, 4/15, 8/15: expected 100, 200,
		// 400, 800; allow generous bounds (> 5 standard deviations).
		require.InDelta(t, 100, got[0], 60, "low %v", got)
		require.InDelta(t, 200, got[1], 80, "medium %v", got)
		require.InDelta(t, 400, got[2], 100, "high %v", got)
		require.InDelta(t, 800, got[3], 120, "critical %v", got)
		// FIFO inside a priority still holds.
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: ttl, Weights: []int{0, 0, 0, 1}})
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("p3-%d", got[3]), ls[0].ID)
	})

	t.Run("WeightedZeroWeightOnlyWhenNothingElse", func(t *testing.T) {
		t.Parallel()
		q, _, ctx := setup(t)
		require.NoError(t, q.Enqueue(ctx, "q", entry("c", taskq.PriorityCritical), entry("l", taskq.PriorityLow)))
		w := []int{1, 0, 0, 0}
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: ttl, Weights: w})
		require.NoError(t, err)
		require.Equal(t, []string{"l"}, ids(ls))
		ls, err = q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 5, TTL: ttl, Weights: w})
		require.NoError(t, err)
		require.Equal(t, []string{"c"}, ids(ls))
	})

	t.Run("ExtendReportsLost", func(t *testing.T) {
		t.Parallel()
		q, c, ctx := setup(t)
		require.NoError(t, q.Enqueue(ctx, "q", entry("a", 1), entry("b", 1), entry("c", 1)))
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 3, TTL: time.Second})
		require.NoError(t, err)
		require.Len(t, ls, 3)
		require.NoError(t, q.Ack(ctx, "q", taskq.Lease{ID: "a"}))
		require.NoError(t, q.Remove(ctx, "q", "b"))
		c.Advance(900 * time.Millisecond)
		lostLeases, err := q.Extend(ctx, "q", anyLeases("a", "b", "c", "never"), 5*time.Second)
		lost := leaseIDs(lostLeases)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"a", "b", "never"}, lost)
		// c's deadline moved: not reaped 2s later, reaped after 6s.
		c.Advance(2 * time.Second)
		r, err := q.Reap(ctx, "q", 10, time.Second)
		require.NoError(t, err)
		require.Empty(t, r)
		c.Advance(4 * time.Second)
		r, err = q.Reap(ctx, "q", 10, time.Second)
		require.NoError(t, err)
		require.Equal(t, []string{"c"}, ids(r))
	})

	t.Run("AckOnlyLeased", func(t *testing.T) {
		t.Parallel()
		q, _, ctx := setup(t)
		require.NoError(t, q.Enqueue(ctx, "q", entry("a", 1), entry("b", 1)))
		_, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: ttl})
		require.NoError(t, err)
		require.NoError(t, q.Ack(ctx, "q", taskq.Lease{ID: "a"}, taskq.Lease{ID: "b"}, taskq.Lease{ID: "absent"}))
		require.NoError(t, q.Ack(ctx, "q", taskq.Lease{ID: "a"}))
		st, err := q.Stats(ctx, "q")
		require.NoError(t, err)
		require.Equal(t, taskq.QueueStats{Ready: [4]int64{0, 1, 0, 0}}, st)
		// An acked id can be enqueued again.
		require.NoError(t, q.Enqueue(ctx, "q", entry("a", 2)))
		st, err = q.Stats(ctx, "q")
		require.NoError(t, err)
		require.Equal(t, taskq.QueueStats{Ready: [4]int64{0, 1, 1, 0}}, st)
	})

	t.Run("Requeue", func(t *testing.T) {
		t.Parallel()
		q, c, ctx := setup(t)
		require.NoError(t, q.Enqueue(ctx, "q", entry("a", taskq.PriorityHigh), entry("b", taskq.PriorityHigh), entry("x", taskq.PriorityLow)))
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 2, TTL: ttl})
		require.NoError(t, err)
		require.Equal(t, []string{"a", "b"}, ids(ls))
		// Back now, priority kept although another is given.
		require.NoError(t, q.Requeue(ctx, "q", taskq.QueueEntry{ID: "a", Priority: taskq.PriorityLow}))
		// Back later.
		require.NoError(t, q.Requeue(ctx, "q", taskq.QueueEntry{ID: "b", Priority: taskq.PriorityHigh, RunAt: c.Now().Add(time.Minute)}))
		// Absent: enqueued with the given priority.
		require.NoError(t, q.Requeue(ctx, "q", taskq.QueueEntry{ID: "new", Priority: taskq.PriorityCritical}))
		// Already ready: left alone.
		require.NoError(t, q.Requeue(ctx, "q", taskq.QueueEntry{ID: "x", Priority: taskq.PriorityCritical}))
		st, err := q.Stats(ctx, "q")
		require.NoError(t, err)
		require.Equal(t, taskq.QueueStats{Ready: [4]int64{1, 0, 1, 1}, Scheduled: 1}, st)
		// Lost for the old holder.
		lostLeases, err := q.Extend(ctx, "q", anyLeases("a", "b"), ttl)
		lost := leaseIDs(lostLeases)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"a", "b"}, lost)

		c.Advance(2 * time.Minute)
		ls, err = q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: ttl})
		require.NoError(t, err)
		require.Equal(t, []string{"new", "a", "b", "x"}, ids(ls))
		require.Equal(t, taskq.PriorityHigh, ls[1].Priority)
	})

	t.Run("RemoveEverywhere", func(t *testing.T) {
		t.Parallel()
		q, c, ctx := setup(t)
		require.NoError(t, q.Enqueue(ctx, "q", entry("leased", 3), entry("ready", 0),
			taskq.QueueEntry{ID: "sched", Priority: 2, RunAt: c.Now().Add(time.Hour)}))
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: ttl})
		require.NoError(t, err)
		require.Equal(t, []string{"leased"}, ids(ls))
		require.NoError(t, q.Remove(ctx, "q", "leased", "ready", "sched", "absent"))
		st, err := q.Stats(ctx, "q")
		require.NoError(t, err)
		require.Equal(t, taskq.QueueStats{}, st)
		lostLeases, err := q.Extend(ctx, "q", anyLeases("leased"), ttl)
		lost := leaseIDs(lostLeases)
		require.NoError(t, err)
		require.Equal(t, []string{"leased"}, lost)
		require.NoError(t, q.Ack(ctx, "q", taskq.Lease{ID: "leased"}))
	})

	t.Run("CancellationAcrossProcesses", func(t *testing.T) {
		t.Parallel()
		prefix := uniquePrefix()
		holder := newQueue(t, url, redisqueue.Config{KeyPrefix: prefix})
		canceller := newQueue(t, url, redisqueue.Config{KeyPrefix: prefix})
		ctx := ctxT(t)
		require.NoError(t, canceller.Enqueue(ctx, "q", entry("t1", 1), entry("t2", 1)))
		ls, err := holder.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 2, TTL: ttl})
		require.NoError(t, err)
		require.Len(t, ls, 2)
		require.NoError(t, canceller.Remove(ctx, "q", "t1"))
		lostLeases, err := holder.Extend(ctx, "q", anyLeases("t1", "t2"), ttl)
		lost := leaseIDs(lostLeases)
		require.NoError(t, err)
		require.Equal(t, []string{"t1"}, lost)
	})

	t.Run("ReapExpired", func(t *testing.T) {
		t.Parallel()
		q, c, ctx := setup(t)
		require.NoError(t, q.Enqueue(ctx, "q", entry("a", 2), entry("b", 1)))
		_, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: time.Second})
		require.NoError(t, err)
		_, err = q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: 3 * time.Second})
		require.NoError(t, err)
		r, err := q.Reap(ctx, "q", 10, ttl)
		require.NoError(t, err)
		require.Empty(t, r, "nothing expired yet")
		c.Advance(2 * time.Second)
		r, err = q.Reap(ctx, "q", 10, ttl)
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, ids(r))
		require.Equal(t, taskq.PriorityHigh, r[0].Priority)
		require.Equal(t, c.Now().Add(ttl).UnixMilli(), r[0].Deadline.UnixMilli())
		c.Advance(2 * time.Second)
		r, err = q.Reap(ctx, "q", 10, ttl)
		require.NoError(t, err)
		require.Equal(t, []string{"b"}, ids(r), "a was leased again until now+ttl")
		// Reaped leases can be acked.
		require.NoError(t, q.Ack(ctx, "q", taskq.Lease{ID: "a"}, taskq.Lease{ID: "b"}))
		st, err := q.Stats(ctx, "q")
		require.NoError(t, err)
		require.Zero(t, st.Total())
	})

	t.Run("ConcurrentLeasesNeverOverlap", func(t *testing.T) {
		t.Parallel()
		q, _, ctx := setup(t)
		const n = 2000
		var es []taskq.QueueEntry
		for i := range n {
			es = append(es, entry(fmt.Sprint(i), taskq.TaskPriority(i%4)))
		}
		require.NoError(t, q.Enqueue(ctx, "q", es...))
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for {
					ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 7, TTL: ttl})
					if err != nil || len(ls) == 0 {
						return
					}
					mu.Lock()
					for _, l := range ls {
						seen[l.ID]++
					}
					mu.Unlock()
					if err := q.Ack(ctx, "q", ls...); err != nil {
						return
					}
				}
			})
		}
		wg.Wait()
		require.Len(t, seen, n)
		for id, k := range seen {
			require.Equal(t, 1, k, id)
		}
	})

	t.Run("LargeBatchesAreSplit", func(t *testing.T) {
		t.Parallel()
		c := newClock()
		q := newQueue(t, url, redisqueue.Config{Now: c.Now, ScriptBatch: 10})
		ctx := ctxT(t)
		var es []taskq.QueueEntry
		var all []string
		for i := range 95 {
			id := fmt.Sprintf("%03d", i)
			all = append(all, id)
			es = append(es, entry(id, 1))
		}
		require.NoError(t, q.Enqueue(ctx, "q", es...))
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 200, TTL: ttl})
		require.NoError(t, err)
		require.Equal(t, all, ids(ls))
		lostLeases, err := q.Extend(ctx, "q", anyLeases(append(slices.Clone(all), "x", "y")...), ttl)
		lost := leaseIDs(lostLeases)
		require.NoError(t, err)
		require.Equal(t, []string{"x", "y"}, lost)
		require.NoError(t, q.Ack(ctx, "q", ls...))
		st, err := q.Stats(ctx, "q")
		require.NoError(t, err)
		require.Zero(t, st.Total())
	})

	t.Run("HugeBatchInOneScript", func(t *testing.T) {
		t.Parallel()
		// 9000 entries in one script call: the scripts split their own
		// commands into chunks that unpack can handle.
		q := newQueue(t, url, redisqueue.Config{ScriptBatch: 10000})
		ctx := ctxT(t)
		var es []taskq.QueueEntry
		var all []string
		for i := range 9000 {
			id := fmt.Sprintf("%05d", i)
			all = append(all, id)
			es = append(es, entry(id, taskq.PriorityHigh))
		}
		require.NoError(t, q.Enqueue(ctx, "q", es...))
		require.NoError(t, q.Enqueue(ctx, "q", es...))
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10000, TTL: ttl})
		require.NoError(t, err)
		require.Equal(t, all, ids(ls))
		lostLeases, err := q.Extend(ctx, "q", anyLeases(all...), ttl)
		lost := leaseIDs(lostLeases)
		require.NoError(t, err)
		require.Empty(t, lost)
		require.NoError(t, q.Remove(ctx, "q", all[:4500]...))
		require.NoError(t, q.Ack(ctx, "q", ls...))
		st, err := q.Stats(ctx, "q")
		require.NoError(t, err)
		require.Zero(t, st.Total())
	})

	t.Run("QueuesListsNames", func(t *testing.T) {
		t.Parallel()
		q, _, ctx := setup(t)
		names, err := q.Queues(ctx)
		require.NoError(t, err)
		require.Empty(t, names)
		require.NoError(t, q.Enqueue(ctx, "b", entry("1", 1)))
		require.NoError(t, q.Enqueue(ctx, "a/x:y", entry("1", 1)))
		require.NoError(t, q.Requeue(ctx, "c", entry("1", 1)))
		names, err = q.Queues(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"a/x:y", "b", "c"}, names)
	})

	t.Run("InvalidInput", func(t *testing.T) {
		t.Parallel()
		q, _, ctx := setup(t)
		for _, err := range []error{
			q.Enqueue(ctx, "bad{name}", entry("a", 1)),
			q.Enqueue(ctx, "", entry("a", 1)),
			q.Enqueue(ctx, "q", entry("", 1)),
			q.Enqueue(ctx, "q", entry("a", 7)),
			q.Requeue(ctx, "q", entry("a", -1)),
			func() error { _, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 0, TTL: ttl}); return err }(),
			func() error { _, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1}); return err }(),
		} {
			require.ErrorIs(t, err, taskq.ErrInvalidInput)
		}
		_, err := redisqueue.New(nil, redisqueue.Config{})
		require.Error(t, err)
		_, err = redisqueue.NewFromURL("http://x", redisqueue.Config{})
		require.ErrorIs(t, err, taskq.ErrInvalidInput)
		_, err = redisqueue.NewFromURL(url, redisqueue.Config{KeyPrefix: "a{b}"})
		require.Error(t, err)
	})

	t.Run("PingAndClose", func(t *testing.T) {
		t.Parallel()
		q, err := redisqueue.NewFromURL(url, redisqueue.Config{KeyPrefix: uniquePrefix()})
		require.NoError(t, err)
		ctx := ctxT(t)
		require.NoError(t, q.Ping(ctx))
		require.NoError(t, q.Close())
		require.NoError(t, q.Close())
		require.ErrorIs(t, q.Ping(ctx), taskq.ErrUnavailable)
		require.ErrorIs(t, q.Enqueue(ctx, "q", entry("a", 1)), taskq.ErrUnavailable)
	})
}

// TestWait checks that Wait wakes on an enqueue from another client at once,
// at the earliest run-at, and otherwise only at max or ctx end.
func TestWait(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	url := srv.URL()

	t.Run("WakesOnEnqueueFromAnotherClient", func(t *testing.T) {
		t.Parallel()
		prefix := uniquePrefix()
		waiter := newQueue(t, url, redisqueue.Config{KeyPrefix: prefix})
		producer := newQueue(t, url, redisqueue.Config{KeyPrefix: prefix})
		ctx := ctxT(t)
		for round := range 5 {
			done := make(chan time.Duration, 1)
			started := make(chan struct{})
			go func() {
				close(started)
				t0 := time.Now()
				if err := waiter.Wait(ctx, "q", 20*time.Second); err != nil {
					t.Error(err)
				}
				done <- time.Since(t0)
			}()
			<-started
			// Wait is blocked (nothing ready) until the enqueue: give it the
			// chance to block, then check it has not returned.
			select {
			case d := <-done:
				t.Fatalf("round %d: Wait returned after %s with nothing ready", round, d)
			case <-time.After(50 * time.Millisecond):
			}
			t0 := time.Now()
			require.NoError(t, producer.Enqueue(ctx, "q", entry(fmt.Sprint(round), 1)))
			select {
			case <-done:
				require.Less(t, time.Since(t0), time.Second)
			case <-time.After(5 * time.Second):
				t.Fatalf("round %d: Wait did not wake on enqueue", round)
			}
			ls, err := waiter.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: time.Minute})
			require.NoError(t, err)
			require.Len(t, ls, 1)
		}
	})

	t.Run("ReturnsAtOnceWhenReady", func(t *testing.T) {
		t.Parallel()
		q := newQueue(t, url, redisqueue.Config{})
		ctx := ctxT(t)
		require.NoError(t, q.Enqueue(ctx, "q", entry("a", 0)))
		t0 := time.Now()
		require.NoError(t, q.Wait(ctx, "q", 20*time.Second))
		require.Less(t, time.Since(t0), 2*time.Second)
	})

	t.Run("WakesAtRunAt", func(t *testing.T) {
		t.Parallel()
		prefix := uniquePrefix()
		waiter := newQueue(t, url, redisqueue.Config{KeyPrefix: prefix})
		producer := newQueue(t, url, redisqueue.Config{KeyPrefix: prefix})
		ctx := ctxT(t)
		require.NoError(t, producer.Enqueue(ctx, "q", taskq.QueueEntry{ID: "late", Priority: 1, RunAt: time.Now().Add(time.Hour)}))
		runAt := time.Now().Add(300 * time.Millisecond)
		errc := make(chan error, 1)
		go func() { errc <- waiter.Wait(ctx, "q", 20*time.Second) }()
		// An earlier scheduled entry wakes the waiter, which then waits for
		// its run-at.
		require.NoError(t, producer.Enqueue(ctx, "q", taskq.QueueEntry{ID: "soon", Priority: 1, RunAt: runAt}))
		for {
			select {
			case err := <-errc:
				require.NoError(t, err)
			case <-time.After(5 * time.Second):
				t.Fatal("Wait did not return at the run-at")
			}
			if !time.Now().Before(runAt) {
				break
			}
			go func() { errc <- waiter.Wait(ctx, "q", 20*time.Second) }()
		}
		require.Less(t, time.Since(runAt), time.Second)
		ls, err := waiter.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: time.Minute})
		require.NoError(t, err)
		require.Equal(t, []string{"soon"}, ids(ls))
	})

	t.Run("MaxAndContext", func(t *testing.T) {
		t.Parallel()
		q := newQueue(t, url, redisqueue.Config{})
		ctx := ctxT(t)
		t0 := time.Now()
		require.NoError(t, q.Wait(ctx, "q", 150*time.Millisecond))
		require.GreaterOrEqual(t, time.Since(t0), 150*time.Millisecond)
		require.Less(t, time.Since(t0), 5*time.Second)

		cctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() { errc <- q.Wait(cctx, "q", 20*time.Second) }()
		cancel()
		select {
		case err := <-errc:
			require.ErrorIs(t, err, context.Canceled)
		case <-time.After(5 * time.Second):
			t.Fatal("Wait ignored the cancelled context")
		}
	})
	t.Run("CloseWakesWaiters", func(t *testing.T) {
		t.Parallel()
		q, err := redisqueue.NewFromURL(url, redisqueue.Config{KeyPrefix: uniquePrefix()})
		require.NoError(t, err)
		ctx := ctxT(t)
		errc := make(chan error, 1)
		go func() { errc <- q.Wait(ctx, "q", 20*time.Second) }()
		select {
		case err := <-errc:
			t.Fatalf("Wait returned early: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		require.NoError(t, q.Close())
		select {
		case err := <-errc:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not wake Wait")
		}
		require.ErrorIs(t, q.Wait(ctx, "q", time.Second), taskq.ErrUnavailable)
	})
}

// TestUnavailable checks that a stopped server gives errors matching
// taskq.ErrUnavailable, retryable, and that the queue works again after a
// restart.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	q := newQueue(t, srv.URL(), redisqueue.Config{})
	ctx := ctxT(t)
	require.NoError(t, q.Enqueue(ctx, "q", entry("a", 1)))
	srv.Stop(t)

	errs := []error{
		q.Ping(ctx),
		q.Enqueue(ctx, "q", entry("b", 1)),
		func() error {
			_, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: time.Second})
			return err
		}(),
		func() error { _, err := q.Stats(ctx, "q"); return err }(),
		q.Wait(ctx, "q", 100*time.Millisecond),
	}
	for i, err := range errs {
		if i == len(errs)-1 && err == nil {
			continue // Wait may time out before it notices the outage
		}
		require.ErrorIs(t, err, taskq.ErrUnavailable, "call %d", i)
		var te *taskq.Error
		require.True(t, errors.As(err, &te))
		require.True(t, te.Retryable)
		require.Equal(t, taskq.CodeServiceUnavailable, te.Code)
		require.True(t, strings.HasPrefix(te.Message, "redisqueue: "), te.Message)
	}

	srv.Start(t)
	// rueidis replaces broken connections when it next uses them, so the
	// first calls after the restart may still fail, as unavailable.
	waitFor(t, 10*time.Second, func() bool {
		err := q.Enqueue(ctx, "q", entry("c", 1))
		require.True(t, err == nil || errors.Is(err, taskq.ErrUnavailable), "%v", err)
		return err == nil
	}, "queue usable after restart")
	st, err := q.Stats(ctx, "q")
	require.NoError(t, err)
	require.Equal(t, int64(1), st.Ready[1], "the server started empty (no AOF); c is queued")
}
