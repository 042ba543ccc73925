package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// StartTasks changes no indexed value, so with the free space fillfactor
// leaves in each page it is a HOT update: no index entry is written.
// Completion is not (it leaves the active index).
func TestStartTasksIsHOT(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	const n = 200
	ts := newPending(n)
	require.NoError(t, s.CreateTasks(ctx, ts))
	ids := make([][16]byte, n)
	for i, task := range ts {
		u, _, ok := parseUUID(task.ID)
		require.True(t, ok)
		ids[i] = u.Bytes
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ct, err := tx.Exec(ctx, s.q.startTasks, ids, time.Now())
		require.NoError(t, err)
		require.Equal(t, int64(n), ct.RowsAffected())
		var updated, hot int64
		require.NoError(t, tx.QueryRow(ctx, `SELECT pg_stat_get_xact_tuples_updated('taskq.tasks'::regclass),
			pg_stat_get_xact_tuples_hot_updated('taskq.tasks'::regclass)`).Scan(&updated, &hot))
		require.Equal(t, int64(n), updated)
		require.Equal(t, int64(n), hot, "every start must be a HOT update")
		return nil
	})
	require.NoError(t, err)
}

// With statistics taken when every task was completed, a fresh burst of
// pending tasks looks rare to the planner. StartTasks and UpdateTask must
// still probe the primary key per id rather than scan a status index: with
// an indexable status test ("status IN (…)") and an index on status, the
// planner read every pending task of that index per call. The schema has
// no such index; the test adds one to check that the statements' status
// tests stay unusable by any index.
func TestHotStatementsIgnoreStaleStatusStatistics(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	_, err := s.pool.Exec(ctx, "CREATE INDEX tasks_test_status_idx ON taskq.tasks (status, id)")
	require.NoError(t, err)
	t.Cleanup(func() { // before the database is emptied for reuse
		_, err := s.pool.Exec(context.Background(), "DROP INDEX taskq.tasks_test_status_idx")
		require.NoError(t, err)
	})
	old := newPending(5000)
	for _, task := range old {
		task.Status = taskq.StatusCompleted
	}
	require.NoError(t, s.CreateTasks(ctx, old))
	_, err = s.pool.Exec(ctx, "ANALYZE taskq.tasks")
	require.NoError(t, err)
	burst := newPending(3000)
	require.NoError(t, s.CreateTasks(ctx, burst))

	ids := make([][16]byte, 10)
	for i := range ids {
		u, _, _ := parseUUID(burst[i*100].ID)
		ids[i] = u.Bytes
	}
	now := time.Now()
	n := len(ids)
	expect, statuses, prios, ints := make([]int32, n), make([]string, n), make([]int16, n), make([]int32, n)
	times, nulls, blobs := make([]time.Time, n), make([]*time.Time, n), make([][]byte, n)
	for i := range ids {
		expect[i], statuses[i], prios[i], times[i] = statusMask([]taskq.TaskStatus{taskq.StatusRunning}), "completed", 1, now
	}
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		for name, q := range map[string]struct {
			sql  string
			args []any
		}{
			"StartTasks": {s.q.startTasks, []any{ids, now}},
			"UpdateTask": {s.q.updateTasks, []any{ids, statuses, prios, times, nulls, nulls, ints, ints, blobs, blobs,
				ints, nulls, times, expect, ints}},
		} {
			err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = "+mode)
				require.NoError(t, err)
				rows, err := tx.Query(ctx, "EXPLAIN (COSTS OFF) "+q.sql, q.args...)
				require.NoError(t, err)
				lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
				require.NoError(t, err)
				plan := strings.Join(lines, "\n")
				require.Contains(t, plan, "Index Scan using tasks_pkey", "%s (%s):\n%s", name, mode, plan)
				require.NotContains(t, plan, "Seq Scan", "%s (%s):\n%s", name, mode, plan)
				return nil
			})
			require.NoError(t, err)
		}
	}
}

// Listings by status take one of three forms (the active index, the rare
// status index, the primary key) and by priority and owner name partial
// index predicates; each form returns exactly the matching tasks, newest
// first.
func TestListFormsMatchExactly(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	statuses := []taskq.TaskStatus{taskq.StatusPending, taskq.StatusRunning, taskq.StatusCompleted,
		taskq.StatusFailed, taskq.StatusCancelled, taskq.StatusDeadLetter}
	base := time.Now().UTC().Add(-time.Hour)
	var ts []*taskq.Task
	for i := range 48 {
		at := base.Add(time.Duration(i) * time.Second)
		task := &taskq.Task{ID: taskq.NewID(), Type: fmt.Sprintf("type-%d", i%2), Status: statuses[i%len(statuses)],
			Priority: taskq.TaskPriority(i % 4), Created: at, Updated: at, RunAt: at, Queue: "default",
			Owner: []string{"", "alice", "bob"}[i%3]}
		if task.Status == taskq.StatusDeadLetter {
			task.DeadLetteredAt = new(at)
		}
		ts = append(ts, task)
	}
	require.NoError(t, s.CreateTasks(ctx, ts))

	want := func(keep func(*taskq.Task) bool) []string {
		var ids []string
		for _, task := range ts {
			if keep(task) {
				ids = append(ids, task.ID)
			}
		}
		slices.Reverse(ids) // newest first
		return ids
	}
	list := func(f taskq.TaskFilter) []string {
		f.Limit = 5 // several pages
		var ids []string
		for {
			page, err := s.ListTasks(ctx, f)
			require.NoError(t, err)
			for _, task := range page.Tasks {
				ids = append(ids, task.ID)
			}
			if page.NextCursor == "" {
				return ids
			}
			f.Cursor = page.NextCursor
		}
	}
	sets := [][]taskq.TaskStatus{
		{taskq.StatusPending}, {taskq.StatusRunning}, {taskq.StatusCompleted}, {taskq.StatusFailed},
		{taskq.StatusCancelled}, {taskq.StatusDeadLetter},
		{taskq.StatusPending, taskq.StatusRunning},                        // active
		{taskq.StatusPending, taskq.StatusFailed, taskq.StatusRunning},    // active (reconciler)
		{taskq.StatusCancelled, taskq.StatusDeadLetter},                   // rare
		{taskq.StatusFailed, taskq.StatusCancelled},                       // rare
		{taskq.StatusCompleted, taskq.StatusFailed},                       // primary key
		{taskq.StatusPending, taskq.StatusDeadLetter, taskq.StatusFailed}, // primary key
	}
	for _, set := range sets {
		got := list(taskq.TaskFilter{Statuses: set})
		require.Equal(t, want(func(task *taskq.Task) bool { return slices.Contains(set, task.Status) }), got, "statuses %v", set)
		require.NotEmpty(t, got, "statuses %v", set)
	}
	for p := taskq.PriorityLow; p <= taskq.PriorityCritical; p++ {
		got := list(taskq.TaskFilter{Priority: &p})
		require.Equal(t, want(func(task *taskq.Task) bool { return task.Priority == p }), got, "priority %d", p)
		require.NotEmpty(t, got)
	}
	for _, owner := range []string{"alice", "bob"} {
		for _, set := range [][]taskq.TaskStatus{nil, {taskq.StatusRunning, taskq.StatusDeadLetter}} {
			got := list(taskq.TaskFilter{Owner: owner, Statuses: set})
			require.Equal(t, want(func(task *taskq.Task) bool {
				return task.Owner == owner && (set == nil || slices.Contains(set, task.Status))
			}), got, "owner %s, statuses %v", owner, set)
			require.NotEmpty(t, got)
		}
	}
}
