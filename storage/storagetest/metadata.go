package storagetest

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
)

// callerMetadata is metadata as a caller builds it in Go; wantMetadata is
// what every storage returns for it: JSON types only, numbers as
// json.Number with exact digits in plain notation.
func callerMetadata(at time.Time) map[string]any {
	return map[string]any{
		"int":    42,
		"neg":    int64(-7),
		"big":    int64(9007199254740993), // 2^53 + 1: not a float64
		"uint":   uint64(18446744073709551615),
		"float":  2.5,
		"tiny":   1e-7,
		"huge":   1e21,
		"whole":  3.0,
		"zero":   math.Copysign(0, -1),
		"str":    "x",
		"when":   at.Format(time.RFC3339Nano),
		"flag":   true,
		"none":   nil,
		"ints":   []int{1, 2, 3},
		"strs":   []string{"a", "b"},
		"typed":  map[string]int{"a": 1},
		"nested": map[string]any{"list": []any{1, map[string]any{"big": int64(9007199254740993)}}, "f": 0.125},
	}
}

func wantMetadata(at time.Time) map[string]any {
	n := func(s string) json.Number { return json.Number(s) }
	return map[string]any{
		"int":    n("42"),
		"neg":    n("-7"),
		"big":    n("9007199254740993"),
		"uint":   n("18446744073709551615"),
		"float":  n("2.5"),
		"tiny":   n("0.0000001"),
		"huge":   n("1000000000000000000000"),
		"whole":  n("3"),
		"zero":   n("0"),
		"str":    "x",
		"when":   at.Format(time.RFC3339Nano),
		"flag":   true,
		"none":   nil,
		"ints":   []any{n("1"), n("2"), n("3")},
		"strs":   []any{"a", "b"},
		"typed":  map[string]any{"a": n("1")},
		"nested": map[string]any{"list": []any{n("1"), map[string]any{"big": n("9007199254740993")}}, "f": n("0.125")},
	}
}

func testMetadata(t *testing.T, newStore Factory) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("x", 3600))

	t.Run("CreateTaskReturnsWhatGetReturns", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		task := newTask(func(t *taskq.Task) { t.Metadata = callerMetadata(at) })
		created, err := s.CreateTask(ctx, task)
		require.NoError(t, err)
		require.Equal(t, wantMetadata(at), created.Metadata, "returned by CreateTask")
		got := get(t, ctx, s, task.ID)
		require.Equal(t, wantMetadata(at), got.Metadata, "returned by GetTask")
		requireTaskEqual(t, created, got)
		page, err := s.ListTasks(ctx, taskq.TaskFilter{})
		require.NoError(t, err)
		require.Len(t, page.Tasks, 1)
		require.Equal(t, wantMetadata(at), page.Tasks[0].Metadata, "returned by ListTasks")
		started, err := s.StartTasks(ctx, []string{task.ID}, now())
		require.NoError(t, err)
		require.Len(t, started, 1)
		require.Equal(t, wantMetadata(at), started[0].Metadata, "returned by StartTasks")
	})

	t.Run("CreateTasksStoresTheSame", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		task := newTask(func(t *taskq.Task) { t.Metadata = callerMetadata(at) })
		require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{task}))
		require.Equal(t, wantMetadata(at), get(t, ctx, s, task.ID).Metadata)
	})

	t.Run("CallerCannotChangeTheRecord", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		md := map[string]any{"n": json.Number("1"), "inner": map[string]any{"k": "v"}, "list": []any{"a"}}
		task := newTask(func(t *taskq.Task) { t.Metadata = md })
		created, err := s.CreateTask(ctx, task)
		require.NoError(t, err)
		md["n"] = json.Number("2")
		md["inner"].(map[string]any)["k"] = "changed"
		md["list"].([]any)[0] = "changed"
		md["added"] = true
		created.Metadata["inner"].(map[string]any)["k"] = "changed too"
		got := get(t, ctx, s, task.ID)
		want := map[string]any{"n": json.Number("1"), "inner": map[string]any{"k": "v"}, "list": []any{"a"}}
		require.Equal(t, want, got.Metadata)
		got.Metadata["inner"].(map[string]any)["k"] = "changed by a reader"
		got.Metadata["list"].([]any)[0] = "changed by a reader"
		require.Equal(t, want, get(t, ctx, s, task.ID).Metadata, "GetTask returns a deep copy")
	})

	t.Run("EmptyAndNil", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		empty := newTask(func(t *taskq.Task) { t.Metadata = map[string]any{} })
		none := newTask(func(t *taskq.Task) { t.Metadata = nil })
		for _, task := range []*taskq.Task{empty, none} {
			created, err := s.CreateTask(ctx, task)
			require.NoError(t, err)
			require.Equal(t, get(t, ctx, s, task.ID).Metadata, created.Metadata)
		}
		require.Equal(t, map[string]any{}, get(t, ctx, s, empty.ID).Metadata)
		require.Nil(t, get(t, ctx, s, none.ID).Metadata)
	})

	t.Run("UnencodableMetadataIsInvalid", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		task := newTask(func(t *taskq.Task) { t.Metadata = map[string]any{"ch": make(chan int)} })
		_, err := s.CreateTask(ctx, task)
		require.ErrorIs(t, err, taskq.ErrInvalidInput)
		requireNotFound(t, ctx, s, task.ID)
	})

	t.Run("ClientEnqueueReturnsWhatGetReturns", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		q := queue.NewMemory()
		t.Cleanup(func() { _ = q.Close() })
		c, err := taskq.NewClient(s, q, taskq.ClientConfig{})
		require.NoError(t, err)
		enq, err := c.Enqueue(ctx, "report.build", callerMetadata(at), taskq.WithPriority(taskq.PriorityHigh))
		require.NoError(t, err)
		got, err := c.Get(ctx, enq.ID)
		require.NoError(t, err)
		requireTaskEqual(t, enq, got)
		require.Equal(t, wantMetadata(at), got.Metadata)
		require.Equal(t, wantMetadata(at), enq.Metadata)
	})
}
