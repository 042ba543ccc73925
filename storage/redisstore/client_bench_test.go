package redisstore_test

import (
	"context"
	"testing"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/redisstore"
)

// BenchmarkClientEnqueue measures taskq.Client.Enqueue from one producer
// on Redis alone (this store and queue/redisqueue under one prefix): the
// single-producer enqueue of the Redis-only deployment.
func BenchmarkClientEnqueue(b *testing.B) {
	srv := testenv.StartRedis(b)
	store := newStore(b, srv.URL(), redisstore.Config{KeyPrefix: "bench"})
	q, err := redisqueue.NewFromURL(srv.URL(), redisqueue.Config{KeyPrefix: "bench"})
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
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Enqueue(ctx, "mail.send", md); err != nil {
			b.Fatal(err)
		}
	}
}
