package storagetest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// testTraceContext: the trace context stored at creation comes back from
// every read (GetTask, StartTasks, ListTasks, CreateTasks' records), and
// outcome writes keep it; a task without one reads back without one.
func testTraceContext(t *testing.T, f Factory) {
	ctx, s := setup(t, f)
	tc := map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate": "congo=t61rcWkgMzE"}
	one := newTask(func(tk *taskq.Task) { tk.TraceContext = tc })
	_, err := s.CreateTask(ctx, one)
	require.NoError(t, err)
	many := []*taskq.Task{newTask(func(tk *taskq.Task) { tk.TraceContext = tc }), newTask()}
	require.NoError(t, s.CreateTasks(ctx, many))

	got, err := s.GetTask(ctx, one.ID)
	require.NoError(t, err)
	require.Equal(t, tc, got.TraceContext)
	got, err = s.GetTask(ctx, many[0].ID)
	require.NoError(t, err)
	require.Equal(t, tc, got.TraceContext)
	got, err = s.GetTask(ctx, many[1].ID)
	require.NoError(t, err)
	require.Empty(t, got.TraceContext, "no trace context stored, none read")

	started, err := s.StartTasks(ctx, []string{one.ID}, now())
	require.NoError(t, err)
	require.Len(t, started, 1)
	require.Equal(t, tc, started[0].TraceContext)

	done := started[0]
	done.Status, done.Updated = taskq.StatusCompleted, now()
	done.CompletedAt = new(done.Updated)
	done.TraceContext = nil // an outcome write does not touch it
	require.NoError(t, s.UpdateTask(ctx, done, taskq.StatusRunning))
	got, err = s.GetTask(ctx, one.ID)
	require.NoError(t, err)
	require.Equal(t, tc, got.TraceContext)

	page, err := s.ListTasks(ctx, taskq.TaskFilter{Limit: 10})
	require.NoError(t, err)
	seen := 0
	for _, tk := range page.Tasks {
		if tk.ID == one.ID || tk.ID == many[0].ID {
			require.Equal(t, tc, tk.TraceContext, tk.ID)
			seen++
		}
	}
	require.Equal(t, 2, seen)
}
