package queuetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// tally records which ids goroutines received; errors are collected rather
// than failing from a non-test goroutine.
type tally struct {
	mu   sync.Mutex
	seen map[string]int
	errs []error
}

func newTally() *tally { return &tally{seen: make(map[string]int)} }

func (c *tally) add(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.seen[id]++
	}
}

func (c *tally) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, err)
}

// check requires that every id of want was received exactly once.
func (c *tally) check(t *testing.T, want []string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Empty(t, c.errs)
	for id, n := range c.seen {
		require.Equal(t, 1, n, "id %s received %d times", id, n)
	}
	got := make([]string, 0, len(c.seen))
	for id := range c.seen {
		got = append(got, id)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	require.Equal(t, want, got, "ids received")
}

func testConcurrency(t *testing.T, newQueue NewQueueFunc) {
	t.Run("ConsumersGetEachIDOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		const (
			total     = 2000
			producers = 2
			consumers = 8
			batch     = 16
		)
		all := idList("c", total)
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()

		got := newTally()
		var acked atomic.Int64
		var wg sync.WaitGroup
		for p := range producers {
			wg.Go(func() {
				// Producer p enqueues every other chunk of 50, with
				// priorities varying by chunk.
				for i, c := 0, 0; i < total; i, c = i+50, c+1 {
					if c%producers != p {
						continue
					}
					entries := make([]taskq.QueueEntry, 0, 50)
					for _, id := range all[i:min(i+50, total)] {
						entries = append(entries, entry(id, taskq.TaskPriority(c%taskq.NumPriorities)))
					}
					if err := b.q.Enqueue(ctx, b.name, entries...); err != nil {
						got.fail(fmt.Errorf("enqueue: %w", err))
						return
					}
				}
			})
		}
		for c := range consumers {
			var weights []int
			if c%2 == 1 {
				weights = []int{1, 2, 3, 4}
			}
			wg.Go(func() {
				for acked.Load() < total && ctx.Err() == nil {
					leases, err := b.q.Lease(ctx, taskq.LeaseParams{Queue: b.name, Max: batch, TTL: time.Hour, Weights: weights})
					if err != nil {
						got.fail(fmt.Errorf("lease: %w", err))
						return
					}
					if len(leases) == 0 {
						if err := b.q.Wait(ctx, b.name, 20*time.Millisecond); err != nil && ctx.Err() == nil {
							got.fail(fmt.Errorf("wait: %w", err))
							return
						}
						continue
					}
					got.add(ids(leases)...)
					if err := b.q.Ack(ctx, b.name, leases...); err != nil {
						got.fail(fmt.Errorf("ack: %w", err))
						return
					}
					acked.Add(int64(len(leases)))
				}
			})
		}
		wg.Wait()
		require.NoError(t, ctx.Err(), "consumers did not drain the queue in time (%d of %d acked)", acked.Load(), total)
		got.check(t, all)
		require.Zero(t, b.stats(t).Total())
	})

	t.Run("ReapersGetEachIDOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		all := idList("r", 300)
		b.enqueueIDs(t, taskq.PriorityMedium, all...)
		require.Len(t, b.leaseExpired(t, len(all)), len(all))

		got := newTally()
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					leases, err := b.q.Reap(b.ctx, b.name, 7, time.Hour)
					if err != nil {
						got.fail(fmt.Errorf("reap: %w", err))
						return
					}
					if len(leases) == 0 {
						return
					}
					got.add(ids(leases)...)
				}
			})
		}
		// Consumers race the reapers: nothing is ready, so they get nothing.
		for range 2 {
			wg.Go(func() {
				for range 20 {
					leases, err := b.q.Lease(b.ctx, taskq.LeaseParams{Queue: b.name, Max: 10, TTL: time.Hour})
					if err != nil {
						got.fail(fmt.Errorf("lease: %w", err))
						return
					}
					got.add(ids(leases)...)
				}
			})
		}
		wg.Wait()
		got.check(t, all)
		require.Equal(t, stats(nil, 0, int64(len(all))), b.stats(t))
	})

	t.Run("SameIDsFromManyProducers", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		all := idList("p", 100)
		got := newTally()
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				// Each producer enqueues the same ids in its own order.
				order := slices.Clone(all)
				if g%2 == 1 {
					slices.Reverse(order)
				}
				for c := range slices.Chunk(order, 10) {
					entries := make([]taskq.QueueEntry, len(c))
					for i, id := range c {
						entries[i] = entry(id, taskq.PriorityMedium)
					}
					if err := b.q.Enqueue(b.ctx, b.name, entries...); err != nil {
						got.fail(fmt.Errorf("enqueue: %w", err))
						return
					}
				}
			})
		}
		wg.Wait()
		require.Equal(t, stats(map[taskq.TaskPriority]int64{taskq.PriorityMedium: 100}, 0, 0), b.stats(t))
		got.add(ids(b.lease(t, 200))...)
		got.check(t, all)
	})
}
