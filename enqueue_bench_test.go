package taskq_test

import (
	"context"
	"testing"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// BenchmarkEnqueue measures Client.Enqueue on the memory backends.
func BenchmarkEnqueue(b *testing.B) {
	c, err := taskq.NewClient(storage.NewMemory(), queue.NewMemory(), taskq.ClientConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Enqueue(ctx, "noop", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEnqueueMany measures Client.EnqueueMany with batches of 1000.
func BenchmarkEnqueueMany(b *testing.B) {
	c, err := taskq.NewClient(storage.NewMemory(), queue.NewMemory(), taskq.ClientConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	reqs := make([]taskq.EnqueueRequest, 1000)
	for i := range reqs {
		reqs[i] = taskq.EnqueueRequest{Type: "noop"}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += len(reqs) {
		if _, err := c.EnqueueMany(ctx, reqs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewID measures id generation.
func BenchmarkNewID(b *testing.B) {
	for b.Loop() {
		_ = taskq.NewID()
	}
}
