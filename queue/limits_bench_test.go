package queue_test

import (
	"testing"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/queue/queuetest"
)

// BenchmarkLimits: see queuetest.BenchmarkLimits.
func BenchmarkLimits(b *testing.B) {
	queuetest.BenchmarkLimits(b, func(b *testing.B) taskq.Queue {
		m := queue.NewMemory()
		b.Cleanup(func() { _ = m.Close() })
		return m
	})
}
