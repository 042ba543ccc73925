package taskqtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/taskq/taskq"
)

// Lister lists task records: a taskq.StorageAdapter (Engine.Store, a
// PostgreSQL store) satisfies it.
type Lister interface {
	ListTasks(ctx context.Context, f taskq.TaskFilter) (taskq.TaskPage, error)
}

// FilterOption narrows the tasks RequireEnqueued and RequireNotEnqueued
// look at.
type FilterOption func(*taskq.TaskFilter)

// InQueue keeps tasks of queue q.
func InQueue(q string) FilterOption {
	return func(f *taskq.TaskFilter) { f.Queue = q }
}

// InStatus keeps tasks in one of the statuses (every status by default: a
// task enqueued and already run still counts).
func InStatus(s ...taskq.TaskStatus) FilterOption {
	return func(f *taskq.TaskFilter) { f.Statuses = s }
}

// RequireEnqueued asserts that a task of type want.Kind() whose arguments
// equal want exists in src, and returns the newest such task. Arguments
// are compared as the handler would see them: the task's metadata decoded
// into a T, then both encoded as JSON. On failure it lists the tasks of
// that type it found.
func RequireEnqueued[T taskq.Args](t TB, src Lister, want T, opts ...FilterOption) *taskq.Task {
	t.Helper()
	match, others := findArgs(t, src, want, opts)
	if match == nil {
		t.Fatalf("taskqtest: no %s task with args %s; found %s", want.Kind(), mustJSON(t, want), describe(others))
	}
	return match
}

// RequireNotEnqueued asserts that no task of type want.Kind() whose
// arguments equal want exists in src (see RequireEnqueued).
func RequireNotEnqueued[T taskq.Args](t TB, src Lister, want T, opts ...FilterOption) {
	t.Helper()
	if match, _ := findArgs(t, src, want, opts); match != nil {
		t.Fatalf("taskqtest: unexpected %s task %s (%s) with args %s", want.Kind(), match.ID, match.Status, mustJSON(t, want))
	}
}

// findArgs returns the newest task matching want, or the other tasks of
// its type.
func findArgs[T taskq.Args](t TB, src Lister, want T, opts []FilterOption) (*taskq.Task, []*taskq.Task) {
	t.Helper()
	wantJSON := mustJSON(t, want)
	f := taskq.TaskFilter{Type: want.Kind(), Limit: taskq.MaxPageSize}
	for _, o := range opts {
		o(&f)
	}
	var others []*taskq.Task
	for {
		page, err := src.ListTasks(context.Background(), f)
		if err != nil {
			t.Fatalf("taskqtest: listing %s tasks: %v", want.Kind(), err)
		}
		for _, tk := range page.Tasks {
			got, err := taskq.DecodeArgs[T](tk)
			if err == nil && bytes.Equal(mustJSON(t, got), wantJSON) {
				return tk, nil
			}
			others = append(others, tk)
		}
		if page.NextCursor == "" {
			return nil, others
		}
		f.Cursor = page.NextCursor
	}
}

func mustJSON(t TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("taskqtest: %T does not encode as JSON: %v", v, err)
	}
	return b
}

// describe lists up to 10 tasks with their metadata.
func describe(ts []*taskq.Task) string {
	if len(ts) == 0 {
		return "none of that type"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d of that type:", len(ts))
	for i, tk := range ts {
		if i == 10 {
			sb.WriteString("\n\t...")
			break
		}
		md, _ := json.Marshal(tk.Metadata)
		fmt.Fprintf(&sb, "\n\t%s queue=%s status=%s args=%s", tk.ID, tk.Queue, tk.Status, md)
	}
	return sb.String()
}
