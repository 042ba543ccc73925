package redisqueue_test

import (
	"testing"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/queuetest"
	"github.com/taskq/taskq/queue/redisqueue"
)

// BenchmarkLimits: see queuetest.BenchmarkLimits, on a local redis-server.
func BenchmarkLimits(b *testing.B) {
	srv := testenv.StartRedis(b)
	queuetest.BenchmarkLimits(b, func(b *testing.B) taskq.Queue {
		return newQueue(b, srv.URL(), redisqueue.Config{})
	})
}
