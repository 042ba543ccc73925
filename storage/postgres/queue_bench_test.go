package postgres_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/postgres"
)

// BenchmarkQueueLeaseAck measures draining a PostgreSQL Queue: b.N ready
// entries (all priorities) are enqueued in batches of 1,000 before the
// timer starts, then consumers Lease batches of 16 and Ack them until the
// queue is empty. It runs on the package's test server (fsync off).
func BenchmarkQueueLeaseAck(b *testing.B) {
	for _, consumers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("consumers=%d", consumers), func(b *testing.B) {
			s := postgres.NewTestStore(b, postgres.Config{})
			q := s.Queue(postgres.QueueConfig{})
			defer q.Close()
			ctx := b.Context()
			const name = "bench"
			for i := 0; i < b.N; i += 1000 {
				entries := make([]taskq.QueueEntry, 0, 1000)
				for j := i; j < min(i+1000, b.N); j++ {
					entries = append(entries, taskq.QueueEntry{ID: fmt.Sprintf("e%08d", j), Priority: taskq.TaskPriority(j % 4)})
				}
				require.NoError(b, q.Enqueue(ctx, name, entries...))
			}
			var done atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range consumers {
				wg.Go(func() {
					for done.Load() < int64(b.N) {
						leases, err := q.Lease(ctx, taskq.LeaseParams{Queue: name, Max: 16, TTL: time.Minute})
						if err != nil {
							b.Error(err)
							return
						}
						if len(leases) == 0 {
							continue
						}
						ids := make([]string, len(leases))
						for i, l := range leases {
							ids[i] = l.ID
						}
						if err := q.Ack(ctx, name, leases...); err != nil {
							b.Error(err)
							return
						}
						done.Add(int64(len(ids)))
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
