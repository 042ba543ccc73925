package storagetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// fullTask sets every field of a task to a non-zero value.
func fullTask() *taskq.Task {
	n := now()
	return newTask(func(t *taskq.Task) {
		t.Type = "report.build"
		t.Status = taskq.StatusFailed
		t.Priority = taskq.PriorityCritical
		t.Description = "line one\nline two\tand a tab, ünïcode ✓"
		t.Created = n.Add(-time.Hour)
		t.Updated = n.Add(-time.Minute)
		t.CompletedAt = new(n.Add(-30 * time.Second))
		t.Deadline = new(n.Add(24 * time.Hour))
		t.RetryCount = 2
		t.MaxRetries = 7
		t.Error = &taskq.TaskError{Code: taskq.CodeTaskTimeout, Message: "took too long", Retryable: true}
		t.Result = json.RawMessage(`{"rows": 3, "file": "r.csv"}`)
		// The form every storage returns (see testMetadata for others).
		t.Metadata = map[string]any{
			"to":     "b@example.com",
			"count":  json.Number("42"),
			"ratio":  json.Number("1.5"),
			"ok":     true,
			"none":   nil,
			"list":   []any{"x", json.Number("2"), false},
			"nested": map[string]any{"k": "v", "n": json.Number("-1")},
		}
		t.Queue = "reports"
		t.RunAt = n.Add(5 * time.Minute)
		t.StartedAt = new(n.Add(-45 * time.Second))
		t.Timeout = 1500 * time.Millisecond
		t.Attempts = 3
		t.DLQRetryCount = 1
		t.DeadLetteredAt = new(n.Add(-2 * time.Hour))
		t.Owner = "alice"
		t.IdempotencyKey = "order-17"
	})
}

func testCreateTask(t *testing.T, newStore Factory) {
	t.Run("RoundTripsEveryField", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		want := fullTask()
		created, err := s.CreateTask(ctx, want)
		require.NoError(t, err)
		requireTaskEqual(t, want, created, "returned by CreateTask")
		requireTaskEqual(t, want, get(t, ctx, s, want.ID), "returned by GetTask")
	})

	t.Run("RoundTripsMinimalTask", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		want := newTask(func(t *taskq.Task) { t.Metadata = nil; t.Description = "" })
		create(t, ctx, s, want)
		got := get(t, ctx, s, want.ID)
		requireTaskEqual(t, want, got)
		require.Nil(t, got.Error)
		require.Nil(t, got.CompletedAt)
		require.Nil(t, got.StartedAt)
		require.Nil(t, got.DeadLetteredAt)
		require.Nil(t, got.Deadline)
		require.Zero(t, got.Timeout)
	})

	t.Run("RoundTripsJSON", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		want := newTask(func(t *taskq.Task) {
			t.Metadata = map[string]any{
				"quote": `say "hi" \ bye`, "unicode": "日本語 ✓", "empty": "",
				"big": json.Number("1099511627776"), "neg": json.Number("-0.25"), "arr": []any{map[string]any{"a": []any{}}},
			}
			t.Result = json.RawMessage(`[1, {"z": null, "a": "b"}, "s"]`)
			t.Error = &taskq.TaskError{Code: taskq.CodeTaskExecutionFailed, Message: `boom: "quoted"`, Retryable: false}
		})
		create(t, ctx, s, want)
		got := get(t, ctx, s, want.ID)
		requireTaskEqual(t, want, got)
		require.JSONEq(t, string(want.Result), string(got.Result))
		require.Equal(t, *want.Error, *got.Error)
	})

	t.Run("StoresACopy", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		in := fullTask()
		want := in.Clone()
		out, err := s.CreateTask(ctx, in)
		require.NoError(t, err)
		in.Metadata["to"] = "changed"
		in.Error.Message = "changed"
		*in.Deadline = in.Deadline.Add(time.Hour)
		in.Type = "changed"
		out.Metadata["to"] = "changed too"
		out.Error.Message = "changed too"
		got := get(t, ctx, s, want.ID)
		requireTaskEqual(t, want, got)
		got.Metadata["to"] = "changed again"
		got.Status = taskq.StatusCompleted
		requireTaskEqual(t, want, get(t, ctx, s, want.ID))
	})

	t.Run("DuplicateID", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		first := newTask()
		create(t, ctx, s, first)
		second := newTask(func(t *taskq.Task) { t.ID = first.ID; t.Type = "other" })
		existing, err := s.CreateTask(ctx, second)
		requireDuplicate(t, err)
		requireTaskEqual(t, first, existing, "the existing task is returned")
		requireTaskEqual(t, first, get(t, ctx, s, first.ID), "nothing is overwritten")
	})

	t.Run("DuplicateIdempotencyKeySameOwner", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		first := newTask(func(t *taskq.Task) { t.Owner = "alice"; t.IdempotencyKey = "k1" })
		create(t, ctx, s, first)
		second := newTask(func(t *taskq.Task) { t.Owner = "alice"; t.IdempotencyKey = "k1"; t.Type = "other" })
		existing, err := s.CreateTask(ctx, second)
		requireDuplicate(t, err)
		requireTaskEqual(t, first, existing, "the existing task is returned")
		requireNotFound(t, ctx, s, second.ID)
	})

	t.Run("SameIdempotencyKeyOtherOwner", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(func(t *taskq.Task) { t.Owner = "alice"; t.IdempotencyKey = "k1" })
		b := newTask(func(t *taskq.Task) { t.Owner = "bob"; t.IdempotencyKey = "k1" })
		create(t, ctx, s, a, b)
		requireTaskEqual(t, a, get(t, ctx, s, a.ID))
		requireTaskEqual(t, b, get(t, ctx, s, b.ID))
	})

	t.Run("EmptyIdempotencyKeyNeverDuplicates", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(func(t *taskq.Task) { t.Owner = "alice" })
		b := newTask(func(t *taskq.Task) { t.Owner = "alice" })
		create(t, ctx, s, a, b)
		get(t, ctx, s, a.ID)
		get(t, ctx, s, b.ID)
	})
}

func testCreateTasks(t *testing.T, newStore Factory) {
	t.Run("StoresAll", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		batch := []*taskq.Task{newTask(), fullTask(), newTask(withStatus(taskq.StatusRunning))}
		require.NoError(t, s.CreateTasks(ctx, batch))
		for _, want := range batch {
			requireTaskEqual(t, want, get(t, ctx, s, want.ID))
		}
	})

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		require.NoError(t, s.CreateTasks(ctx, nil))
		page, err := s.ListTasks(ctx, taskq.TaskFilter{})
		require.NoError(t, err)
		require.Empty(t, page.Tasks)
	})

	t.Run("AllOrNothingOnExistingID", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		existing := newTask()
		create(t, ctx, s, existing)
		batch := []*taskq.Task{newTask(), newTask(func(t *taskq.Task) { t.ID = existing.ID; t.Type = "other" }), newTask()}
		requireDuplicate(t, s.CreateTasks(ctx, batch))
		requireNotFound(t, ctx, s, batch[0].ID)
		requireNotFound(t, ctx, s, batch[2].ID)
		requireTaskEqual(t, existing, get(t, ctx, s, existing.ID))
	})

	t.Run("AllOrNothingOnIdempotencyKey", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		existing := newTask(func(t *taskq.Task) { t.Owner = "alice"; t.IdempotencyKey = "k" })
		create(t, ctx, s, existing)
		batch := []*taskq.Task{newTask(), newTask(func(t *taskq.Task) { t.Owner = "alice"; t.IdempotencyKey = "k" })}
		requireDuplicate(t, s.CreateTasks(ctx, batch))
		requireNotFound(t, ctx, s, batch[0].ID)
		requireNotFound(t, ctx, s, batch[1].ID)
	})

	t.Run("DuplicateIDInsideBatch", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask()
		batch := []*taskq.Task{newTask(), a, newTask(func(t *taskq.Task) { t.ID = a.ID })}
		requireDuplicate(t, s.CreateTasks(ctx, batch))
		requireNotFound(t, ctx, s, batch[0].ID)
		requireNotFound(t, ctx, s, a.ID)
	})

	t.Run("DuplicateIdempotencyKeyInsideBatch", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		batch := []*taskq.Task{
			newTask(func(t *taskq.Task) { t.Owner = "bob"; t.IdempotencyKey = "same" }),
			newTask(func(t *taskq.Task) { t.Owner = "bob"; t.IdempotencyKey = "same" }),
		}
		requireDuplicate(t, s.CreateTasks(ctx, batch))
		requireNotFound(t, ctx, s, batch[0].ID)
		requireNotFound(t, ctx, s, batch[1].ID)
	})
}

func testGetTask(t *testing.T, newStore Factory) {
	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		create(t, ctx, s, newTask())
		requireNotFound(t, ctx, s, taskq.NewID())
	})
}

func testDeleteTask(t *testing.T, newStore Factory) {
	t.Run("Deletes", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a, b := newTask(), newTask()
		create(t, ctx, s, a, b)
		require.NoError(t, s.DeleteTask(ctx, a.ID))
		requireNotFound(t, ctx, s, a.ID)
		page, err := s.ListTasks(ctx, taskq.TaskFilter{})
		require.NoError(t, err)
		require.Equal(t, []string{b.ID}, ids(page.Tasks))
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask()
		create(t, ctx, s, a)
		require.NoError(t, s.DeleteTask(ctx, a.ID))
		require.ErrorIs(t, s.DeleteTask(ctx, a.ID), taskq.ErrNotFound)
		require.ErrorIs(t, s.DeleteTask(ctx, taskq.NewID()), taskq.ErrNotFound)
	})

	t.Run("FreesIdAndIdempotencyKey", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(func(t *taskq.Task) { t.Owner = "alice"; t.IdempotencyKey = "k" })
		create(t, ctx, s, a)
		require.NoError(t, s.DeleteTask(ctx, a.ID))
		b := newTask(func(t *taskq.Task) { t.Owner = "alice"; t.IdempotencyKey = "k" })
		create(t, ctx, s, b)
		again := newTask(func(t *taskq.Task) { t.ID = a.ID })
		create(t, ctx, s, again)
		requireTaskEqual(t, again, get(t, ctx, s, a.ID))
	})

	t.Run("DeadLetterEntry", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask(withStatus(taskq.StatusRunning))
		create(t, ctx, s, a)
		moveToDLQ(t, ctx, s, a, now())
		require.NoError(t, s.DeleteTask(ctx, a.ID))
		requireDLQCount(t, ctx, s, 0)
		_, err := s.GetDeadLetterTask(ctx, a.ID)
		require.ErrorIs(t, err, taskq.ErrNotFound)
	})
}
