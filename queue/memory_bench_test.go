package queue_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
)

// chunk is how many entries a benchmark keeps enqueued at most; it refills
// (with the timer stopped) when they run out.
const chunk = 1 << 16

// cpuTimer pairs b's timer with a count of the CPU time the process spends
// while it runs, reported as cpu-ns/op: on a machine shared with other work
// the wall-clock ns/op also counts time spent descheduled.
type cpuTimer struct {
	b     *testing.B
	total time.Duration
	start time.Duration
}

func startCPUTimer(b *testing.B) *cpuTimer {
	b.ResetTimer()
	return &cpuTimer{b: b, start: processCPU()}
}

func (c *cpuTimer) stop() {
	c.b.StopTimer()
	c.total += processCPU() - c.start
}

func (c *cpuTimer) resume() {
	c.start = processCPU()
	c.b.StartTimer()
}

// report stops the timers and reports cpu-ns/op.
func (c *cpuTimer) report() {
	c.stop()
	if c.b.N > 0 && c.total > 0 {
		c.b.ReportMetric(float64(c.total.Nanoseconds())/float64(c.b.N), "cpu-ns/op")
	}
}

var benchIDs = func() []string {
	ids := make([]string, chunk)
	for i := range ids {
		ids[i] = "task-" + strconv.Itoa(i)
	}
	return ids
}()

func BenchmarkEnqueue(b *testing.B) {
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			m := queue.NewMemory()
			defer m.Close()
			entries := make([]taskq.QueueEntry, chunk)
			for i, id := range benchIDs {
				entries[i] = taskq.QueueEntry{ID: id, Priority: taskq.TaskPriority(i % taskq.NumPriorities)}
			}
			b.ReportAllocs()
			timer := startCPUTimer(b)
			for done, off := 0, 0; done < b.N; {
				n := min(batch, b.N-done, chunk-off)
				if err := m.Enqueue(ctx, "bench", entries[off:off+n]...); err != nil {
					b.Fatal(err)
				}
				done += n
				if off += n; off == chunk {
					timer.stop()
					m.Close()
					m = queue.NewMemory()
					off = 0
					timer.resume()
				}
			}
			timer.report()
		})
	}
}

// BenchmarkLeaseAck measures leasing and acknowledging one task, leasing
// batch tasks per call from a queue holding up to depth ready tasks of
// mixed priorities.
func BenchmarkLeaseAck(b *testing.B) {
	for _, depth := range []int{1 << 10, chunk} {
		for _, batch := range []int{1, 32} {
			b.Run(fmt.Sprintf("depth=%d/batch=%d", depth, batch), func(b *testing.B) {
				benchLeaseAck(b, depth, batch, nil)
			})
		}
	}
}

// BenchmarkLeaseAckWeighted is BenchmarkLeaseAck with weights 1:2:4:8.
func BenchmarkLeaseAckWeighted(b *testing.B) {
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprintf("depth=%d/batch=%d", chunk, batch), func(b *testing.B) {
			benchLeaseAck(b, chunk, batch, []int{1, 2, 4, 8})
		})
	}
}

func benchLeaseAck(b *testing.B, depth, batch int, weights []int) {
	ctx := context.Background()
	m := queue.NewMemory()
	defer m.Close()
	p := taskq.LeaseParams{Queue: "bench", Max: batch, TTL: time.Minute, Weights: weights}
	entries := make([]taskq.QueueEntry, depth)
	for i, id := range benchIDs[:depth] {
		entries[i] = taskq.QueueEntry{ID: id, Priority: taskq.TaskPriority(i % taskq.NumPriorities)}
	}
	refill := func() {
		if err := m.Enqueue(ctx, "bench", entries...); err != nil {
			b.Fatal(err)
		}
	}
	refill()
	ids := make([]string, 0, batch)
	b.ReportAllocs()
	timer := startCPUTimer(b)
	for done := 0; done < b.N; {
		p.Max = min(batch, b.N-done)
		leases, err := m.Lease(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		if len(leases) == 0 {
			timer.stop()
			refill()
			timer.resume()
			continue
		}
		ids = ids[:0]
		for _, l := range leases {
			ids = append(ids, l.ID)
		}
		if err := m.Ack(ctx, "bench", leases...); err != nil {
			b.Fatal(err)
		}
		done += len(leases)
	}
	timer.report()
}

// BenchmarkLeaseAckParallel leases batches of 32 from GOMAXPROCS
// goroutines on one queue.
func BenchmarkLeaseAckParallel(b *testing.B) {
	ctx := context.Background()
	m := queue.NewMemory()
	defer m.Close()
	entries := make([]taskq.QueueEntry, chunk)
	for i, id := range benchIDs {
		entries[i] = taskq.QueueEntry{ID: id, Priority: taskq.PriorityMedium}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		p := taskq.LeaseParams{Queue: "bench", Max: 1, TTL: time.Minute}
		for pb.Next() {
			leases, err := m.Lease(ctx, p)
			if err != nil {
				b.Error(err)
				return
			}
			if len(leases) == 0 {
				// Ack made room: put the ids back (idempotent by id).
				if err := m.Enqueue(ctx, "bench", entries[:1024]...); err != nil {
					b.Error(err)
					return
				}
				continue
			}
			if err := m.Ack(ctx, "bench", taskq.Lease{ID: leases[0].ID}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
