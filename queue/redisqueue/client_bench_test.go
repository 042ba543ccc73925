package redisqueue_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage"
)

// BenchmarkClientEnqueue measures taskq.Client.Enqueue (memory storage +
// this queue) from 16 producers: the path the enqueue target is
// about.
func BenchmarkClientEnqueue(b *testing.B) {
	srv := testenv.StartRedis(b)
	q := newQueue(b, srv.URL(), redisqueue.Config{})
	c, err := taskq.NewClient(storage.NewMemory(), q, taskq.ClientConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := c.Enqueue(ctx, "noop", nil); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
}
