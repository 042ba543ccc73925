package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// Factory returns a fresh, empty, isolated store for one test and
// registers its cleanup (closing the store) with t.Cleanup.
type Factory func(t *testing.T) taskq.StorageAdapter

// Run runs the StorageAdapter conformance suite. Each subtest calls
// newStore for its own instance and runs in parallel with the others, so
// newStore must isolate instances (a schema or database per call on a
// shared server).
func Run(t *testing.T, newStore func(t *testing.T) taskq.StorageAdapter) {
	t.Helper()
	f := Factory(newStore)
	for _, c := range []struct {
		name string
		test func(*testing.T, Factory)
	}{
		{"CreateTask", testCreateTask},
		{"CreateTasks", testCreateTasks},
		{"GetTask", testGetTask},
		{"DeleteTask", testDeleteTask},
		{"UpdateTask", testUpdateTask},
		{"StartTasks", testStartTasks},
		{"Fence", testFence},
		{"Races", testRaces},
		{"ListTasks", testListTasks},
		{"ListTasksPagination", testListTasksPagination},
		{"GetDeadLetterTasks", testGetDeadLetterTasks},
		{"GetDeadLetterTask", testGetDeadLetterTask},
		{"MoveTaskToDeadLetter", testMoveTaskToDeadLetter},
		{"RemoveFromDeadLetter", testRemoveFromDeadLetter},
		{"CleanupDeadLetterTasks", testCleanupDeadLetterTasks},
		{"CountDeadLetterTasks", testCountDeadLetterTasks},
		{"Ping", testPing},
		{"Metadata", testMetadata},
		{"OwnerUsage", testOwnerUsage},
		{"DLQOwnerFair", testDLQOwnerFair},
		{"TraceContext", testTraceContext},
		{"PauseQueue", testPauseQueue},
		{"Schedules", testSchedules},
		{"CountTasks", testCountTasks},
		{"SetProgress", testSetProgress},
		{"DeleteFinished", testDeleteFinished},
		{"Unique", testUnique},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.test(t, f)
		})
	}
}

// setup returns the test's context and a fresh store.
func setup(t *testing.T, newStore Factory) (context.Context, taskq.StorageAdapter) {
	t.Helper()
	s := newStore(t)
	require.NotNil(t, s, "the factory returned a nil store")
	return t.Context(), s
}

// now is the current time as the suite uses it: UTC, whole microseconds.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// newTask returns a pending task with every field a new task has set; mods
// adjust it.
func newTask(mods ...func(*taskq.Task)) *taskq.Task {
	n := now()
	t := &taskq.Task{
		ID:          taskq.NewID(),
		Type:        "email",
		Status:      taskq.StatusPending,
		Priority:    taskq.PriorityMedium,
		Description: "send a mail",
		Created:     n,
		Updated:     n,
		MaxRetries:  3,
		Metadata:    map[string]any{"to": "a@example.com"},
		Queue:       taskq.DefaultQueue,
		RunAt:       n,
	}
	for _, m := range mods {
		m(t)
	}
	return t
}

// withStatus returns a mod setting the status (and CompletedAt for
// completed and cancelled tasks, DeadLetteredAt for dead letters).
func withStatus(s taskq.TaskStatus) func(*taskq.Task) {
	return func(t *taskq.Task) {
		t.Status = s
		switch s {
		case taskq.StatusCompleted, taskq.StatusCancelled:
			t.CompletedAt = new(t.Updated)
		case taskq.StatusDeadLetter:
			t.DeadLetteredAt = new(t.Updated)
		}
	}
}

// create stores tasks one by one and fails the test on an error.
func create(t *testing.T, ctx context.Context, s taskq.StorageAdapter, ts ...*taskq.Task) {
	t.Helper()
	for _, task := range ts {
		_, err := s.CreateTask(ctx, task)
		require.NoError(t, err)
	}
}

// get returns a stored task and fails the test on an error.
func get(t *testing.T, ctx context.Context, s taskq.StorageAdapter, id string) *taskq.Task {
	t.Helper()
	got, err := s.GetTask(ctx, id)
	require.NoError(t, err)
	return got
}

// requireNotFound fails unless the task is missing.
func requireNotFound(t *testing.T, ctx context.Context, s taskq.StorageAdapter, id string) {
	t.Helper()
	_, err := s.GetTask(ctx, id)
	require.ErrorIs(t, err, taskq.ErrNotFound)
}

func ids(ts []*taskq.Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// reversed returns the ids of ts in reverse order: newest first for tasks
// created in id order.
func reversed(ts []*taskq.Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[len(ts)-1-i] = t.ID
	}
	return out
}

// requireTaskEqual compares tasks field by field after normalizing what a
// backend may legitimately change: time zones (and sub-microsecond parts),
// nil versus empty metadata, and the formatting of the JSON result.
func requireTaskEqual(t *testing.T, want, got *taskq.Task, msgAndArgs ...any) {
	t.Helper()
	require.NotNil(t, got, msgAndArgs...)
	require.Equal(t, normalize(t, want), normalize(t, got), msgAndArgs...)
}

func normalize(t *testing.T, task *taskq.Task) *taskq.Task {
	t.Helper()
	c := task.Clone()
	c.Created = normTime(c.Created)
	c.Updated = normTime(c.Updated)
	c.RunAt = normTime(c.RunAt)
	c.CompletedAt = normTimePtr(c.CompletedAt)
	c.Deadline = normTimePtr(c.Deadline)
	c.StartedAt = normTimePtr(c.StartedAt)
	c.DeadLetteredAt = normTimePtr(c.DeadLetteredAt)
	if len(c.Metadata) == 0 {
		c.Metadata = nil
	}
	if len(c.Result) == 0 || string(c.Result) == "null" {
		c.Result = nil
	} else {
		var v any
		require.NoError(t, json.Unmarshal(c.Result, &v), "result is not JSON: %s", c.Result)
		b, err := json.Marshal(v) // map keys sorted, no spaces
		require.NoError(t, err)
		c.Result = b
	}
	return c
}

func normTime(v time.Time) time.Time { return v.UTC().Truncate(time.Microsecond) }

func normTimePtr(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	v := normTime(*p)
	return &v
}

// requireTime fails unless got is the instant want.
func requireTime(t *testing.T, want time.Time, got *time.Time, msgAndArgs ...any) {
	t.Helper()
	require.NotNil(t, got, msgAndArgs...)
	require.Equal(t, normTime(want), normTime(*got), msgAndArgs...)
}

// requireDuplicate fails unless err matches ErrDuplicate (with code
// conflict, but not the ErrConflict of a failed precondition).
func requireDuplicate(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, taskq.ErrDuplicate)
	require.NotErrorIs(t, err, taskq.ErrConflict)
	require.Equal(t, taskq.CodeConflict, taskq.CodeOf(err))
	var te *taskq.Error
	require.True(t, errors.As(err, &te), "error %v is not a *taskq.Error", err)
}

// listAll walks a task listing page by page with filter f and returns
// every task in order, failing on a repeated cursor.
func listAll(t *testing.T, ctx context.Context, s taskq.StorageAdapter, f taskq.TaskFilter) []*taskq.Task {
	t.Helper()
	var out []*taskq.Task
	seen := map[string]bool{}
	for range 10000 {
		page, err := s.ListTasks(ctx, f)
		require.NoError(t, err)
		out = append(out, page.Tasks...)
		if page.NextCursor == "" {
			return out
		}
		require.NotEmpty(t, page.Tasks, "a page with a next cursor must not be empty")
		require.False(t, seen[page.NextCursor], "cursor %q repeated", page.NextCursor)
		seen[page.NextCursor] = true
		f.Cursor = page.NextCursor
	}
	t.Fatal("listing did not end")
	return nil
}

func testPing(t *testing.T, newStore Factory) {
	t.Run("Answers", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		require.NoError(t, s.Ping(ctx))
	})
}
