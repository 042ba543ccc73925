package postgres_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/postgres"
)

func benchTasks(n int) []*taskq.Task {
	now := time.Now().UTC()
	ts := make([]*taskq.Task, n)
	for i := range ts {
		ts[i] = &taskq.Task{ID: taskq.NewID(), Type: "bench", Status: taskq.StatusPending,
			Priority: taskq.PriorityMedium, Created: now, Updated: now, RunAt: now, Queue: "default",
			MaxRetries: 3, Metadata: map[string]any{"n": i, "to": "a@example.com"}}
	}
	return ts
}

func reportRate(b *testing.B, tasks int) {
	b.ReportMetric(float64(tasks)/b.Elapsed().Seconds(), "tasks/s")
}

func reportBatching(b *testing.B, s *postgres.Store, before postgres.WriterStats) {
	after := s.WriterStats()
	if n := after.Batches - before.Batches; n > 0 {
		b.ReportMetric(float64(after.Calls-before.Calls)/float64(n), "calls/roundtrip")
		b.ReportMetric(float64(after.Statements-before.Statements)/float64(n), "stmts/roundtrip")
	}
}

// BenchmarkPostgres measures the store on a PostgreSQL server with fsync
// on and synchronous_commit on (the defaults): every call returns after
// its commit is durable.
// openBenchStore opens a store on a new database of pg, closed when b ends.
func openBenchStore(b *testing.B, pg *testenv.Postgres) *postgres.Store {
	s, err := postgres.Open(b.Context(), pg.NewDatabase(b), postgres.Config{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func BenchmarkPostgres(b *testing.B) {
	pg := testenv.StartPostgresWith(b, testenv.PostgresOptions{Durable: true})
	open := func(b *testing.B) *postgres.Store { return openBenchStore(b, pg) }

	b.Run("CreateTask", func(b *testing.B) {
		s := open(b)
		ts := benchTasks(b.N)
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.CreateTask(b.Context(), ts[i]); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, b.N)
	})

	b.Run("CreateTask16Producers", func(b *testing.B) {
		s := open(b)
		ts := benchTasks(b.N)
		var next atomic.Int64
		before := s.WriterStats()
		b.SetParallelism(8) // 16 goroutines on 2 CPUs
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.CreateTask(b.Context(), ts[next.Add(1)-1]); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, b.N)
		reportBatching(b, s, before)
	})

	b.Run("CreateTasks1000", func(b *testing.B) {
		s := open(b)
		batches := make([][]*taskq.Task, b.N)
		for i := range batches {
			batches[i] = benchTasks(1000)
		}
		b.ResetTimer()
		for i := range b.N {
			if err := s.CreateTasks(b.Context(), batches[i]); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, 1000*b.N)
	})

	// UpdateTask: one caller at a time, then 64 concurrent callers (a
	// worker pool completing tasks), where group commit shares round trips.
	for _, c := range []struct {
		name        string
		parallelism int
	}{{"UpdateTaskSerial", 0}, {"UpdateTask64Concurrent", 32}} {
		b.Run(c.name, func(b *testing.B) {
			s := open(b)
			ts := benchTasks(b.N)
			require.NoError(b, s.CreateTasks(b.Context(), ts))
			var next atomic.Int64
			update := func() error {
				t := ts[next.Add(1)-1].Clone()
				t.Status, t.Attempts = taskq.StatusRunning, 1
				return s.UpdateTask(b.Context(), t, taskq.StatusPending)
			}
			before := s.WriterStats()
			b.ResetTimer()
			if c.parallelism == 0 {
				for range b.N {
					if err := update(); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism(c.parallelism)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := update(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			reportRate(b, b.N)
			reportBatching(b, s, before)
		})
	}

	b.Run("StartTasks64Concurrent", func(b *testing.B) {
		s := open(b)
		ts := benchTasks(b.N)
		require.NoError(b, s.CreateTasks(b.Context(), ts))
		var next atomic.Int64
		before := s.WriterStats()
		b.SetParallelism(32)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				id := ts[next.Add(1)-1].ID
				if _, err := s.StartTasks(b.Context(), []string{id}, time.Now()); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, b.N)
		reportBatching(b, s, before)
	})

	// GetTask64Concurrent reads from 64 goroutines at once, as the
	// server's GET /api/tasks/{id} does under load: concurrent reads
	// share statements (reads.go). CPU of this process and of the server
	// per read.
	b.Run("GetTask64Concurrent", func(b *testing.B) {
		s := open(b)
		ts := benchTasks(1000)
		require.NoError(b, s.CreateTasks(b.Context(), ts))
		var next atomic.Int64
		b.SetParallelism(32)
		cpu0, db0 := testenv.ProcessCPU(), pg.CPUTime()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				id := ts[int(next.Add(1))%len(ts)].ID
				if _, err := s.GetTask(b.Context(), id); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(testenv.ProcessCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(pg.CPUTime()-db0)/float64(b.N), "db-cpu-ns/op")
		reportRate(b, b.N)
	})
}
