package taskq_test

import (
	"context"
	"fmt"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

// Embed the engine in memory: a client enqueues, a worker runs the handler.
func ExampleClient_Enqueue() {
	ctx := context.Background()
	store, q := storage.NewMemory(), queue.NewMemory()
	client, _ := taskq.NewClient(store, q, taskq.ClientConfig{})

	w, _ := worker.New(store, q, worker.Config{Concurrency: 4})
	w.HandleFunc("email.send", func(ctx context.Context, t *taskq.Task) (any, error) {
		return map[string]any{"sent_to": t.Metadata["to"]}, nil
	})
	_ = w.Start(ctx)
	defer w.Stop(ctx)

	t, _ := client.Enqueue(ctx, "email.send", map[string]any{"to": "a@example.com"},
		taskq.WithPriority(taskq.PriorityHigh), taskq.WithMaxRetries(5))
	for {
		t, _ = client.Get(ctx, t.ID)
		if t.Status.Terminal() {
			break
		}
		time.Sleep(time.Millisecond)
	}
	fmt.Println(t.Status, string(t.Result))
	// Output: completed {"sent_to":"a@example.com"}
}

// A handler steers the engine with its error: Permanent sends the task
// straight to the dead letter queue.
func ExamplePermanent() {
	ctx := context.Background()
	store, q := storage.NewMemory(), queue.NewMemory()
	client, _ := taskq.NewClient(store, q, taskq.ClientConfig{})
	w, _ := worker.New(store, q, worker.Config{})
	w.HandleFunc("charge", func(ctx context.Context, t *taskq.Task) (any, error) {
		return nil, taskq.Permanent(fmt.Errorf("card %v declined", t.Metadata["card"]))
	})
	_ = w.Start(ctx)
	defer w.Stop(ctx)

	t, _ := client.Enqueue(ctx, "charge", map[string]any{"card": "4242"})
	for !t.Status.Terminal() {
		time.Sleep(time.Millisecond)
		t, _ = client.Get(ctx, t.ID)
	}
	fmt.Println(t.Status, t.RetryCount, t.Error.Code, t.Error.Message)
	// Output: dead_letter 0 task_execution_failed card 4242 declined
}

// Idempotency keys make enqueueing safe to repeat.
func ExampleWithIdempotencyKey() {
	ctx := context.Background()
	client, _ := taskq.NewClient(storage.NewMemory(), queue.NewMemory(), taskq.ClientConfig{})
	first, _ := client.Enqueue(ctx, "report", nil, taskq.WithIdempotencyKey("report-2026-11"))
	again, err := client.Enqueue(ctx, "report", nil, taskq.WithIdempotencyKey("report-2026-11"))
	fmt.Println(first.ID == again.ID, taskq.CodeOf(err))
	// Output: true conflict
}

// Return from Enqueue once the record is stored and push the queue entries
// from the background (useful when the queue is a separate system, such
// as Redis in front of PostgreSQL records); Flush before exiting.
func ExampleClient_Flush() {
	ctx := context.Background()
	store, q := storage.NewMemory(), queue.NewMemory()
	client, _ := taskq.NewClient(store, q, taskq.ClientConfig{BackgroundPush: true})

	for range 3 {
		if _, err := client.Enqueue(ctx, "email.send", nil); err != nil {
			fmt.Println("not stored:", err) // an error means the task was not stored
		}
	}
	_ = client.Flush(ctx) // every entry pushed (or left to the reconciler)

	leases, _ := q.Lease(ctx, taskq.LeaseParams{Queue: taskq.DefaultQueue, Max: 10, TTL: time.Minute})
	fmt.Println(len(leases), "queued")
	// Output: 3 queued
}
