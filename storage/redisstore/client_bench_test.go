package redisstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/redisstore"
)

// BenchmarkClientEnqueue measures taskq.Client.Enqueue on Redis alone
// (this store and queue/redisqueue under one prefix), from 1 and from 16
// producers: the enqueue of the Redis-only deployment. Besides the rate
// it reports the CPU per task of this process and of redis-server, and
// the script calls and the commands they ran per task.
//
// queue=store is the queue of Store.Queue (the store writes the entry in
// the script that stores the record: one round trip), queue=own a queue
// opened on its own (the Client pushes the entry after the record: two).
func BenchmarkClientEnqueue(b *testing.B) {
	for _, own := range []bool{false, true} {
		for _, producers := range []int{1, 16} {
			name := fmt.Sprintf("queue=store/producers=%d", producers)
			if own {
				name = fmt.Sprintf("queue=own/producers=%d", producers)
			}
			b.Run(name, func(b *testing.B) { benchClientEnqueue(b, producers, own) })
		}
	}
}

func benchClientEnqueue(b *testing.B, producers int, own bool) {
	srv := testenv.StartRedis(b)
	store := newStore(b, srv.URL(), redisstore.Config{KeyPrefix: "bench"})
	var q *redisqueue.Queue
	var err error
	if own {
		q, err = redisqueue.NewFromURL(srv.URL(), redisqueue.Config{KeyPrefix: "bench"})
	} else {
		q, err = store.Queue(redisqueue.Config{})
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = q.Close() })
	c, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	md := map[string]any{"user": "u-123456", "to": "someone@example.com", "subject": "welcome to the service", "n": 42}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), testenv.ProcessCPU()
	srvCPU, err := srv.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	scripts, cmds, err := srv.Calls()
	if err != nil {
		b.Fatal(err)
	}
	for range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := c.Enqueue(ctx, "mail.send", md); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
	b.ReportMetric(float64(testenv.ProcessCPU()-cpu)/float64(b.N), "cpu-ns/task")
	srvCPU2, err := srv.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	scripts2, cmds2, err := srv.Calls()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(srvCPU2-srvCPU)/float64(b.N), "redis-cpu-ns/task")
	b.ReportMetric((scripts2-scripts)/float64(b.N), "scripts/task")
	b.ReportMetric((cmds2-cmds)/float64(b.N), "cmds/task")
}
