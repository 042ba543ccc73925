package queue_test

import (
	"context"
	"fmt"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
)

func ExampleNewMemory() {
	ctx := context.Background()
	q := queue.NewMemory()
	defer q.Close()

	_ = q.Enqueue(ctx, "emails",
		taskq.QueueEntry{ID: "welcome", Priority: taskq.PriorityMedium},
		taskq.QueueEntry{ID: "password-reset", Priority: taskq.PriorityCritical},
		taskq.QueueEntry{ID: "digest", Priority: taskq.PriorityLow, RunAt: time.Now().Add(time.Hour)},
	)
	s, _ := q.Stats(ctx, "emails")
	fmt.Println("ready:", s.Total()-s.Scheduled, "scheduled:", s.Scheduled)

	leases, _ := q.Lease(ctx, taskq.LeaseParams{Queue: "emails", Max: 10, TTL: time.Minute})
	for _, l := range leases {
		fmt.Println("leased", l.ID, l.Priority)
		_ = q.Ack(ctx, "emails", taskq.Lease{ID: l.ID})
	}
	// Output:
	// ready: 2 scheduled: 1
	// leased password-reset critical
	// leased welcome medium
}
