package redisqueue_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
)

// BenchmarkEnqueue measures Enqueue against a local redis-server (no AOF):
// one entry per call from 1 and 16 goroutines (rueidis pipelines concurrent
// calls), and batches of 100 entries per call; without owners, and of 64
// owners. One op is one task.
func BenchmarkEnqueue(b *testing.B) {
	srv := testenv.StartRedis(b)
	ctx := context.Background()
	var seq atomic.Int64
	id := func() string { return fmt.Sprint(seq.Add(1)) }

	for _, producers := range []int{1, 16} {
		b.Run(fmt.Sprintf("single/producers=%d", producers), func(b *testing.B) {
			q := newQueue(b, srv.URL(), redisqueue.Config{})
			b.ResetTimer()
			runProducers(b, producers, b.N, func() error {
				return q.Enqueue(ctx, "bench", taskq.QueueEntry{ID: id(), Priority: taskq.PriorityMedium})
			})
			reportRate(b)
		})
	}
	for _, producers := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch=100/producers=%d", producers), func(b *testing.B) {
			q := newQueue(b, srv.URL(), redisqueue.Config{})
			b.ResetTimer()
			runProducers(b, producers, (b.N+99)/100, func() error {
				es := make([]taskq.QueueEntry, 100)
				for i := range es {
					es[i] = taskq.QueueEntry{ID: id(), Priority: taskq.TaskPriority(i % 4)}
				}
				return q.Enqueue(ctx, "bench", es...)
			})
			reportRate(b)
		})
	}
	// Entries of 64 owners (fair sharing gives them rounds).
	b.Run("single/owners=64/producers=16", func(b *testing.B) {
		q := newQueue(b, srv.URL(), redisqueue.Config{})
		b.ResetTimer()
		runProducers(b, 16, b.N, func() error {
			n := seq.Add(1)
			return q.Enqueue(ctx, "bench", taskq.QueueEntry{ID: fmt.Sprint(n), Priority: taskq.PriorityMedium, Owner: fmt.Sprint("o", n%64)})
		})
		reportRate(b)
	})
	b.Run("batch=100/owners=64/producers=1", func(b *testing.B) {
		q := newQueue(b, srv.URL(), redisqueue.Config{})
		b.ResetTimer()
		runProducers(b, 1, (b.N+99)/100, func() error {
			es := make([]taskq.QueueEntry, 100)
			for i := range es {
				es[i] = taskq.QueueEntry{ID: id(), Priority: taskq.TaskPriority(i % 4), Owner: fmt.Sprint("o", i%64)}
			}
			return q.Enqueue(ctx, "bench", es...)
		})
		reportRate(b)
	})
}

// BenchmarkLeaseAck measures draining pre-enqueued tasks: each of 4
// consumers leases a batch and acks it in one call; tasks without owners,
// and of 64 owners. One op is one task.
func BenchmarkLeaseAck(b *testing.B) {
	srv := testenv.StartRedis(b)
	ctx := context.Background()
	for _, c := range []struct{ batch, owners int }{{32, 0}, {100, 0}, {32, 64}} {
		name := fmt.Sprintf("batch=%d", c.batch)
		if c.owners > 0 {
			name += fmt.Sprintf("/owners=%d", c.owners)
		}
		batch := c.batch
		b.Run(name, func(b *testing.B) {
			q := newQueue(b, srv.URL(), redisqueue.Config{})
			es := make([]taskq.QueueEntry, 0, 1000)
			for i := range b.N {
				e := taskq.QueueEntry{ID: fmt.Sprint(i), Priority: taskq.TaskPriority(i % 4)}
				if c.owners > 0 {
					e.Owner = fmt.Sprint("o", i%c.owners)
				}
				es = append(es, e)
				if len(es) == cap(es) || i == b.N-1 {
					if err := q.Enqueue(ctx, "bench", es...); err != nil {
						b.Fatal(err)
					}
					es = es[:0]
				}
			}
			var done atomic.Int64
			b.ResetTimer()
			runProducers(b, 4, 4, func() error {
				for {
					ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "bench", Max: batch, TTL: time.Minute})
					if err != nil || len(ls) == 0 {
						return err
					}
					if err := q.Ack(ctx, "bench", ls...); err != nil {
						return err
					}
					done.Add(int64(len(ls)))
				}
			})
			b.StopTimer()
			if n := done.Load(); n != int64(b.N) {
				b.Fatalf("drained %d of %d", n, b.N)
			}
			reportRate(b)
		})
	}
}

// BenchmarkEnqueueToLease measures the latency from an Enqueue by one
// client to the Lease by a consumer (another client) blocked in Wait: one
// task at a time, so it shows the notification path, not throughput. It
// reports p50 and p99.
func BenchmarkEnqueueToLease(b *testing.B) {
	srv := testenv.StartRedis(b)
	ctx := context.Background()
	prefix := uniquePrefix()
	producer := newQueue(b, srv.URL(), redisqueue.Config{KeyPrefix: prefix})
	consumer := newQueue(b, srv.URL(), redisqueue.Config{KeyPrefix: prefix})
	got := make(chan time.Time)
	stop, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-stop:
				return
			default:
			}
			ls, err := consumer.Lease(ctx, taskq.LeaseParams{Queue: "lat", Max: 1, TTL: time.Minute})
			if err != nil {
				b.Error(err)
				close(got)
				return
			}
			if len(ls) == 0 {
				_ = consumer.Wait(ctx, "lat", 100*time.Millisecond)
				continue
			}
			got <- time.Now()
			_ = consumer.Ack(ctx, "lat", taskq.Lease{ID: ls[0].ID})
		}
	}()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		if err := producer.Enqueue(ctx, "lat", taskq.QueueEntry{ID: fmt.Sprint(i), Priority: 1}); err != nil {
			b.Fatal(err)
		}
		at, ok := <-got
		if !ok {
			b.FailNow()
		}
		lat = append(lat, at.Sub(t0))
	}
	b.StopTimer()
	close(stop)
	<-finished
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// runProducers calls fn calls times in total from n goroutines.
func runProducers(b *testing.B, n, calls int, fn func() error) {
	var left atomic.Int64
	left.Store(int64(calls))
	var wg sync.WaitGroup
	var failed atomic.Value
	for range n {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := fn(); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
}
