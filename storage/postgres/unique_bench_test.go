package postgres_test

import (
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage/postgres"
)

// BenchmarkPostgresUnique measures unique creations (a transaction of
// their own each, outside the group-commit writer) on a durable server:
// new keys one by one and from 16 producers, and duplicates of one held
// key from 16 producers.
func BenchmarkPostgresUnique(b *testing.B) {
	pg := testenv.StartPostgresWith(b, testenv.PostgresOptions{Durable: true})
	open := func(b *testing.B) *postgres.Store { return openBenchStore(b, pg) }
	uniqueTasks := func(n int, key func(i int) string) []*taskq.Task {
		ts := benchTasks(n)
		for i, t := range ts {
			t.UniqueKey, t.UniqueStates = key(i), taskq.UniqueStatesActive()
		}
		return ts
	}

	b.Run("CreateNewKeys", func(b *testing.B) {
		s := open(b)
		ts := uniqueTasks(b.N, strconv.Itoa)
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.CreateTask(b.Context(), ts[i]); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, b.N)
	})

	b.Run("CreateNewKeys16Producers", func(b *testing.B) {
		s := open(b)
		ts := uniqueTasks(b.N, strconv.Itoa)
		var next atomic.Int64
		b.SetParallelism(8)
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
	})

	b.Run("Duplicates16Producers", func(b *testing.B) {
		s := open(b)
		one := func(int) string { return "one" }
		_, err := s.CreateTask(b.Context(), uniqueTasks(1, one)[0])
		require.NoError(b, err)
		ts := uniqueTasks(b.N, one)
		var next atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.CreateTask(b.Context(), ts[next.Add(1)-1]); !errors.Is(err, taskq.ErrUniqueExists) {
					b.Errorf("want a unique duplicate, got %v", err)
					return
				}
			}
		})
		reportRate(b, b.N)
	})
}
