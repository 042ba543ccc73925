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

// BenchmarkCountTasks measures CountTasks (one grouped query that reads
// the table) on 10,000 and 100,000 stored tasks, nine in ten of them
// completed, over 4 queues and 10 types:
//
//	go test -run '^$' -bench BenchmarkCountTasks ./storage/postgres/
func BenchmarkCountTasks(b *testing.B) {
	pg := testenv.StartPostgres(b)
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			s, err := postgres.Open(b.Context(), pg.NewDatabase(b), postgres.Config{})
			require.NoError(b, err)
			b.Cleanup(func() { _ = s.Close() })
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
			_, err = s.Pool().Exec(b.Context(), "VACUUM ANALYZE taskq.tasks")
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
