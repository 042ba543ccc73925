package postgres_test

import (
	"testing"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue/queuetest"
	"github.com/taskq/taskq/storage/postgres"
)

// BenchmarkLimits: see queuetest.BenchmarkLimits, on the package's test
// server.
func BenchmarkLimits(b *testing.B) {
	queuetest.BenchmarkLimits(b, func(b *testing.B) taskq.Queue {
		s := postgres.NewTestStore(b, postgres.Config{})
		q := s.Queue(postgres.QueueConfig{})
		b.Cleanup(func() { _ = q.Close() })
		return q
	})
}
