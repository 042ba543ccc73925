package storage_test

import (
	"testing"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage"
)

func benchTask() *taskq.Task {
	now := time.Now().UTC()
	return &taskq.Task{
		ID: taskq.NewID(), Type: "email", Status: taskq.StatusPending, Priority: taskq.PriorityMedium,
		Queue: taskq.DefaultQueue, Created: now, Updated: now, RunAt: now, MaxRetries: 3,
		Metadata: map[string]any{"to": "a@example.com", "subject": "hello"},
	}
}

// seed stores n tasks and returns their ids.
func seed(b *testing.B, m *storage.Memory, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		t := benchTask()
		if _, err := m.CreateTask(b.Context(), t); err != nil {
			b.Fatal(err)
		}
		ids[i] = t.ID
	}
	return ids
}

func BenchmarkMemoryCreateTask(b *testing.B) {
	m := storage.NewMemory()
	ctx := b.Context()
	tasks := make([]*taskq.Task, b.N)
	for i := range tasks {
		tasks[i] = benchTask()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := m.CreateTask(ctx, tasks[i]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMemoryGetTask(b *testing.B) {
	m := storage.NewMemory()
	ids := seed(b, m, 10_000)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := m.GetTask(ctx, ids[i%len(ids)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkMemoryStartComplete is the worker hot path: start a leased task,
// then record its completion conditionally on it still running.
func BenchmarkMemoryStartComplete(b *testing.B) {
	m := storage.NewMemory()
	ids := seed(b, m, 10_000)
	ctx := b.Context()
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		id := ids[i%len(ids)]
		started, err := m.StartTasks(ctx, []string{id}, now)
		if err != nil || len(started) != 1 {
			b.Fatal(err, len(started))
		}
		t := started[0]
		t.Status = taskq.StatusFailed // startable again next round
		t.Updated = now
		if err := m.UpdateTask(ctx, t, taskq.StatusRunning); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMemoryListTasks(b *testing.B) {
	m := storage.NewMemory()
	seed(b, m, 10_000)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	var cursor string
	for range b.N {
		page, err := m.ListTasks(ctx, taskq.TaskFilter{Limit: 50, Cursor: cursor})
		if err != nil {
			b.Fatal(err)
		}
		cursor = page.NextCursor
	}
}
