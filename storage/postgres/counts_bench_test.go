package postgres_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/postgres"
)

// BenchmarkCountTasks measures CountTasks (sums of the counter rows and
// one index probe per queue with pending tasks) on 10,000, 100,000 and
// 1,000,000 stored tasks, nine in ten of them completed, over 4 queues and
// 10 types:
//
//	go test -run '^$' -bench BenchmarkCountTasks -benchtime 20x ./storage/postgres/
func BenchmarkCountTasks(b *testing.B) {
	pg := testenv.StartPostgres(b)
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			s := openBenchStore(b, pg)
			ts := benchTasks(n)
			for i, t := range ts {
				t.Queue, t.Type = "q"+strconv.Itoa(i%4), "type"+strconv.Itoa(i%10)
				if i%10 != 0 {
					t.Status, t.CompletedAt = taskq.StatusCompleted, new(t.Created)
				}
			}
			for i := 0; i < n; i += 1000 {
				require.NoError(b, s.CreateTasks(b.Context(), ts[i:i+1000]))
			}
			_, err := s.Pool().Exec(b.Context(), "VACUUM ANALYZE taskq.tasks")
			require.NoError(b, err)
			b.ResetTimer()
			for range b.N {
				c, err := s.CountTasks(b.Context(), time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if len(c.Counts) == 0 || len(c.OldestPending) != 2 {
					b.Fatalf("%d groups, %d queues with pending tasks", len(c.Counts), len(c.OldestPending))
				}
			}
		})
	}
}

// BenchmarkQueueStats measures Queue.Stats (the queue-size metric) on a
// queue of 10,000, 100,000 and 1,000,000 entries, 1,000 of them leased
// (workers hold as many leases as their concurrency) and 1,000 scheduled:
//
//	go test -run '^$' -bench BenchmarkQueueStats -benchtime 20x ./storage/postgres/
func BenchmarkQueueStats(b *testing.B) {
	pg := testenv.StartPostgres(b)
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			s := openBenchStore(b, pg)
			q := s.Queue(postgres.QueueConfig{})
			b.Cleanup(func() { _ = q.Close() })
			at := time.Now().Add(time.Hour)
			for i := 0; i < n; i += 1000 {
				entries := make([]taskq.QueueEntry, 1000)
				for j := range entries {
					entries[j] = taskq.QueueEntry{ID: strconv.Itoa(i + j), Priority: taskq.TaskPriority(j % taskq.NumPriorities)}
					if i == 0 {
						entries[j].RunAt = at
					}
				}
				require.NoError(b, q.Enqueue(b.Context(), "bench", entries...))
			}
			_, err := q.Lease(b.Context(), taskq.LeaseParams{Queue: "bench", Max: 1000, TTL: time.Hour})
			require.NoError(b, err)
			_, err = s.Pool().Exec(b.Context(), "VACUUM ANALYZE taskq.queue_entries")
			require.NoError(b, err)
			b.ResetTimer()
			for range b.N {
				st, err := q.Stats(b.Context(), "bench")
				if err != nil {
					b.Fatal(err)
				}
				if st.Total() != int64(n) || st.Scheduled != 1000 || st.Leased != 1000 {
					b.Fatalf("stats %+v", st)
				}
			}
		})
	}
}
