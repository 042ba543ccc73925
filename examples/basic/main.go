// Command basic embeds taskq in memory: it registers two task types,
// enqueues tasks of every priority and prints each outcome.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync/atomic"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

func main() {
	ctx := context.Background()
	store, q := storage.NewMemory(), queue.NewMemory()
	client, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	if err != nil {
		log.Fatal(err)
	}
	w, err := worker.New(store, q, worker.Config{
		Concurrency:    1,
		RetryBaseDelay: 10 * time.Millisecond,
	})

	if err != nil {
		log.Fatal(err)
	}

	var order atomic.Int32
	w.HandleFunc("greet", func(ctx context.Context, t *taskq.Task) (any, error) {
		n := order.Add(1)
		return map[string]any{"greeting": "hello " + fmt.Sprint(t.Metadata["name"]), "ran": n}, nil
	})
	w.HandleFunc("flaky", func(ctx context.Context, t *taskq.Task) (any, error) {
		order.Add(1)
		if t.Attempts < 2 {
			return nil, errors.New("transient failure, will retry")
		}
		return "ok on attempt " + fmt.Sprint(t.Attempts), nil
	})

	var ids []string
	for _, p := range []taskq.TaskPriority{taskq.PriorityLow, taskq.PriorityMedium, taskq.PriorityHigh, taskq.PriorityCritical} {
		t, err := client.Enqueue(ctx, "greet", map[string]any{"name": p.String()}, taskq.WithPriority(p))
		if err != nil {
			log.Fatal(err)
		}
		ids = append(ids, t.ID)
	}
	t, err := client.Enqueue(ctx, "flaky", nil, taskq.WithMaxRetries(2))
	if err != nil {
		log.Fatal(err)
	}
	ids = append(ids, t.ID)

	if err := w.Start(ctx); err != nil {
		log.Fatal(err)
	}
	for _, id := range ids {
		t := waitTerminal(ctx, client, id)
		fmt.Printf("%-6s priority=%-8s status=%-9s retries=%d result=%s\n",
			t.Type, t.Priority, t.Status, t.RetryCount, t.Result)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := w.Stop(stopCtx); err != nil {
		log.Fatal(err)
	}
}

func waitTerminal(ctx context.Context, c *taskq.Client, id string) *taskq.Task {
	deadline := time.Now().Add(10 * time.Second)
	for {
		t, err := c.Get(ctx, id)
		if err != nil {
			log.Fatal(err)
		}
		if t.Status.Terminal() || time.Now().After(deadline) {
			return t
		}
		time.Sleep(5 * time.Millisecond)
	}
}
