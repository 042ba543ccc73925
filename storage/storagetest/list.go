package storagetest

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// listFixture returns tasks in id order (oldest first) that vary in every
// filterable attribute; task i was updated at base + i minutes.
func listFixture(base time.Time) []*taskq.Task {
	statuses := taskq.Statuses()
	types := []string{"email", "report", "sms"}
	owners := []string{"alice", "bob", ""}
	queues := []string{taskq.DefaultQueue, "bulk"}
	out := make([]*taskq.Task, 24)
	for i := range out {
		out[i] = newTask(withStatus(statuses[i%len(statuses)]), func(t *taskq.Task) {
			t.Type = types[i%len(types)]
			t.Priority = taskq.TaskPriority(i % taskq.NumPriorities)
			t.Owner = owners[i%len(owners)]
			t.Queue = queues[(i/2)%len(queues)]
			t.Updated = base.Add(time.Duration(i) * time.Minute)
		})
	}
	return out
}

func priorityPtr(p taskq.TaskPriority) *taskq.TaskPriority { return &p }

func testListTasks(t *testing.T, newStore Factory) {
	t.Run("NewestFirst", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		ts := make([]*taskq.Task, 12)
		for i := range ts {
			ts[i] = newTask()
		}
		shuffled := slices.Clone(ts)
		rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		require.NoError(t, s.CreateTasks(ctx, shuffled[:6]))
		create(t, ctx, s, shuffled[6:]...)
		page, err := s.ListTasks(ctx, taskq.TaskFilter{})
		require.NoError(t, err)
		require.Equal(t, reversed(ts), ids(page.Tasks), "ordered by id, newest first, whatever the insertion order")
		require.Empty(t, page.NextCursor)
		for i, got := range page.Tasks {
			requireTaskEqual(t, ts[len(ts)-1-i], got)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		page, err := s.ListTasks(ctx, taskq.TaskFilter{})
		require.NoError(t, err)
		require.Empty(t, page.Tasks)
		require.Empty(t, page.NextCursor)
	})

	t.Run("Filters", func(t *testing.T) {
		t.Parallel()
		base := now().Add(-time.Hour)
		mid := base.Add(10 * time.Minute) // the 11th task's Updated: excluded by UpdatedBefore
		for _, c := range []struct {
			name   string
			filter taskq.TaskFilter
			keep   func(*taskq.Task) bool
		}{
			{"Status", taskq.TaskFilter{Statuses: []taskq.TaskStatus{taskq.StatusFailed}},
				func(t *taskq.Task) bool { return t.Status == taskq.StatusFailed }},
			{"Statuses", taskq.TaskFilter{Statuses: []taskq.TaskStatus{taskq.StatusPending, taskq.StatusDeadLetter, taskq.StatusRunning}},
				func(t *taskq.Task) bool {
					return t.Status == taskq.StatusPending || t.Status == taskq.StatusDeadLetter || t.Status == taskq.StatusRunning
				}},
			{"Type", taskq.TaskFilter{Type: "report"}, func(t *taskq.Task) bool { return t.Type == "report" }},
			{"PriorityLow", taskq.TaskFilter{Priority: priorityPtr(taskq.PriorityLow)},
				func(t *taskq.Task) bool { return t.Priority == taskq.PriorityLow }},
			{"PriorityCritical", taskq.TaskFilter{Priority: priorityPtr(taskq.PriorityCritical)},
				func(t *taskq.Task) bool { return t.Priority == taskq.PriorityCritical }},
			{"Owner", taskq.TaskFilter{Owner: "bob"}, func(t *taskq.Task) bool { return t.Owner == "bob" }},
			{"Queue", taskq.TaskFilter{Queue: "bulk"}, func(t *taskq.Task) bool { return t.Queue == "bulk" }},
			{"UpdatedBefore", taskq.TaskFilter{UpdatedBefore: mid},
				func(t *taskq.Task) bool { return t.Updated.Before(mid) }},
			{"Combined", taskq.TaskFilter{
				Statuses: []taskq.TaskStatus{taskq.StatusPending, taskq.StatusCompleted, taskq.StatusCancelled},
				Owner:    "alice", Queue: taskq.DefaultQueue,
			}, func(t *taskq.Task) bool {
				return (t.Status == taskq.StatusPending || t.Status == taskq.StatusCompleted || t.Status == taskq.StatusCancelled) &&
					t.Owner == "alice" && t.Queue == taskq.DefaultQueue
			}},
			{"NoMatch", taskq.TaskFilter{Type: "email", Owner: "nobody"}, func(*taskq.Task) bool { return false }},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				ctx, s := setup(t, newStore)
				fixture := listFixture(base)
				require.NoError(t, s.CreateTasks(ctx, fixture))
				var want []string
				for _, task := range slices.Backward(fixture) {
					if c.keep(task) {
						want = append(want, task.ID)
					}
				}
				page, err := s.ListTasks(ctx, c.filter)
				require.NoError(t, err)
				require.Equal(t, want, nilIfEmpty(ids(page.Tasks)))
				require.Empty(t, page.NextCursor)
			})
		}
	})

	t.Run("Limit", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		ts := make([]*taskq.Task, 5)
		for i := range ts {
			ts[i] = newTask()
		}
		require.NoError(t, s.CreateTasks(ctx, ts))
		page, err := s.ListTasks(ctx, taskq.TaskFilter{Limit: 3})
		require.NoError(t, err)
		require.Equal(t, reversed(ts)[:3], ids(page.Tasks))
		require.NotEmpty(t, page.NextCursor)
	})

	t.Run("LimitDefault", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		ts := manyTasks(taskq.DefaultPageSize + 1)
		require.NoError(t, s.CreateTasks(ctx, ts))
		page, err := s.ListTasks(ctx, taskq.TaskFilter{})
		require.NoError(t, err)
		require.Equal(t, reversed(ts)[:taskq.DefaultPageSize], ids(page.Tasks))
		require.NotEmpty(t, page.NextCursor)
		page, err = s.ListTasks(ctx, taskq.TaskFilter{Cursor: page.NextCursor})
		require.NoError(t, err)
		require.Equal(t, []string{ts[0].ID}, ids(page.Tasks))
		require.Empty(t, page.NextCursor)
	})

	t.Run("LimitCap", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		ts := manyTasks(taskq.MaxPageSize + 1)
		require.NoError(t, s.CreateTasks(ctx, ts))
		page, err := s.ListTasks(ctx, taskq.TaskFilter{Limit: 5 * taskq.MaxPageSize})
		require.NoError(t, err)
		require.Len(t, page.Tasks, taskq.MaxPageSize)
		require.Equal(t, ts[len(ts)-1].ID, page.Tasks[0].ID)
		require.NotEmpty(t, page.NextCursor)
	})

	t.Run("ReturnsCopies", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t, newStore)
		a := newTask()
		create(t, ctx, s, a)
		page, err := s.ListTasks(ctx, taskq.TaskFilter{})
		require.NoError(t, err)
		require.Len(t, page.Tasks, 1)
		page.Tasks[0].Status = taskq.StatusCompleted
		page.Tasks[0].Metadata["to"] = "changed"
		requireTaskEqual(t, a, get(t, ctx, s, a.ID))
	})
}

// manyTasks returns n small tasks in id order.
func manyTasks(n int) []*taskq.Task {
	out := make([]*taskq.Task, n)
	for i := range out {
		out[i] = newTask(func(t *taskq.Task) { t.Metadata = map[string]any{"i": json.Number(strconv.Itoa(i))} })
	}
	return out
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
