package worker_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

// A worker with a per-type timeout and retry policy; the handler fails
// twice, then succeeds. Stop is graceful.
func ExampleWorker() {
	ctx := context.Background()
	store, q := storage.NewMemory(), queue.NewMemory()
	client, _ := taskq.NewClient(store, q, taskq.ClientConfig{})

	w, _ := worker.New(store, q, worker.Config{Concurrency: 8})
	w.Configure("report.build", worker.TypeConfig{
		Timeout: time.Minute,
		Backoff: func(n int, _ error) time.Duration { return time.Duration(n) * time.Millisecond },
	})
	w.HandleFunc("report.build", func(ctx context.Context, t *taskq.Task) (any, error) {
		if t.Attempts < 3 {
			return nil, errors.New("upstream busy")
		}
		return map[string]any{"pages": 12}, nil
	})
	_ = w.Start(ctx)

	t, _ := client.Enqueue(ctx, "report.build", nil, taskq.WithMaxRetries(5))
	for !t.Status.Terminal() {
		time.Sleep(time.Millisecond)
		t, _ = client.Get(ctx, t.ID)
	}
	_ = w.Stop(ctx)
	fmt.Println(t.Status, "after", t.Attempts, "attempts,", t.RetryCount, "retries:", string(t.Result))
	// Output: completed after 3 attempts, 2 retries: {"pages":12}
}
