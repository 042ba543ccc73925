package storage_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage"
)

func ExampleNewMemory() {
	ctx := context.Background()
	store := storage.NewMemory()
	defer store.Close()

	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	task := &taskq.Task{
		ID: taskq.NewID(), Type: "email", Status: taskq.StatusPending, Queue: taskq.DefaultQueue,
		Created: now, Updated: now, RunAt: now, Owner: "alice", IdempotencyKey: "welcome-42",
	}
	if _, err := store.CreateTask(ctx, task); err != nil {
		panic(err)
	}

	// The same idempotency key from the same owner returns the first task.
	again := task.Clone()
	again.ID = taskq.NewID()
	existing, err := store.CreateTask(ctx, again)
	fmt.Println(errors.Is(err, taskq.ErrDuplicate), existing.ID == task.ID)

	// A worker starts the task, then completes it if it is still running.
	started, _ := store.StartTasks(ctx, []string{task.ID}, now.Add(time.Second))
	t := started[0]
	fmt.Println(t.Status, t.Attempts)
	t.Status = taskq.StatusCompleted
	fmt.Println(store.UpdateTask(ctx, t, taskq.StatusRunning))

	// A late second completion loses.
	err = store.UpdateTask(ctx, t, taskq.StatusRunning)
	fmt.Println(errors.Is(err, taskq.ErrConflict))

	page, _ := store.ListTasks(ctx, taskq.TaskFilter{Statuses: []taskq.TaskStatus{taskq.StatusCompleted}})
	fmt.Println(len(page.Tasks), page.Tasks[0].Status)
	// Output:
	// true true
	// running 1
	// <nil>
	// true
	// 1 completed
}
