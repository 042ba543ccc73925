package postgres

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// explainRows is the table size of the EXPLAIN test: large enough that a
// sequential scan would be the planner's choice were an index missing.
const explainRows = 20000

// TestExplainHotQueriesUseIndexes loads a realistic mix of tasks, runs
// ANALYZE and checks that the plan of every hot query reads an index and
// no sequential scan (with the planner's default settings). Run it with -v
// to see the plans; docs/postgres.md shows them.
func TestExplainHotQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	base := time.Now().UTC().Add(-24 * time.Hour)
	statuses := []taskq.TaskStatus{
		taskq.StatusCompleted, taskq.StatusCompleted, taskq.StatusCompleted, taskq.StatusCompleted,
		taskq.StatusCompleted, taskq.StatusCompleted, taskq.StatusCompleted, taskq.StatusCompleted,
		taskq.StatusCompleted, taskq.StatusCompleted, taskq.StatusCompleted, taskq.StatusCompleted,
		taskq.StatusPending, taskq.StatusPending, taskq.StatusRunning, taskq.StatusPending,
		taskq.StatusCancelled, taskq.StatusDeadLetter, taskq.StatusCompleted, taskq.StatusCompleted,
	}
	ts := make([]*taskq.Task, explainRows)
	for i := range ts {
		at := base.Add(time.Duration(i) * time.Second)
		t := &taskq.Task{ID: taskq.NewID(), Type: fmt.Sprintf("type-%d", i%20), Status: statuses[i%len(statuses)],
			Priority: taskq.TaskPriority(i % 3), Created: at, Updated: at, RunAt: at, Queue: "default",
			Owner: fmt.Sprintf("owner-%d", i%100), Metadata: map[string]any{"i": i}}
		if i%500 == 1 { // rare values: 0.2% of the tasks
			t.Type, t.Status, t.Priority = "report.monthly", taskq.StatusFailed, taskq.PriorityCritical
		}
		if i%10 == 0 {
			t.IdempotencyKey = fmt.Sprintf("key-%d", i)
		}
		if t.Status == taskq.StatusDeadLetter {
			t.DeadLetteredAt = new(at)
		}
		if t.Status == taskq.StatusCompleted || t.Status == taskq.StatusCancelled {
			t.CompletedAt = new(at)
		}
		ts[i] = t
	}
	for i := 0; i < len(ts); i += 5000 {
		require.NoError(t, s.CreateTasks(ctx, ts[i:i+5000]))
	}
	// Many owners without DLQ entries (end users as owners): the DLQ
	// cap's search for the owner holding the most entries must not read
	// them all. Counter rows only, for the planner: no query below reads
	// these owners' tasks.
	_, err := s.pool.Exec(ctx, `INSERT INTO taskq.owner_usage (owner, slot, active)
		SELECT 'user-' || i, 0, 1 FROM generate_series(1, 20000) i`)
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, "ANALYZE taskq.tasks, taskq.owner_usage")
	require.NoError(t, err)

	mid := ts[len(ts)/2]
	dlqMid := ts[len(ts)/2+17] // a dead_letter task (index 10017 % 20 == 17)
	require.Equal(t, taskq.StatusDeadLetter, dlqMid.Status)
	prio, critical := taskq.PriorityHigh, taskq.PriorityCritical
	type q struct {
		name  string
		sql   string
		args  []any
		index string // the index the plan must use, when it matters
	}
	list := func(name string, f taskq.TaskFilter, after, index string) q {
		sql, args := listTasksQuery(s.q.tasks, f, after, taskq.DefaultPageSize)
		return q{name, sql, args, index}
	}
	dlq := func(name string, f taskq.DeadLetterFilter, at time.Time, after, index string) q {
		sql, args := dlqQuery(s.q.tasks, f, at, after, taskq.DefaultPageSize)
		return q{name, sql, args, index}
	}
	updateTasks := func(name string, ids []string, at time.Time) q {
		n := len(ids)
		statuses, prios, ints := make([]string, n), make([]int16, n), make([]int32, n)
		times, nulls, blobs, expect := make([]time.Time, n), make([]*time.Time, n), make([][]byte, n), make([]int32, n)
		fences := make([]int32, n) // the attempt fence: -1 (UpdateTask) or an attempt (UpdateAttempt)
		for i := range ids {
			fences[i] = int32(i%3) - 1
			statuses[i], prios[i], times[i], expect[i] = "completed", 1, at, statusMask([]taskq.TaskStatus{taskq.StatusRunning})
		}
		return q{name, s.q.updateTasks, []any{ids, statuses, prios, times, nulls, nulls, ints, ints, blobs, blobs,
			ints, nulls, times, expect, fences}, "tasks_pkey"}
	}
	pending, failed := []taskq.TaskStatus{taskq.StatusPending}, []taskq.TaskStatus{taskq.StatusFailed}
	running, cancelled := []taskq.TaskStatus{taskq.StatusRunning}, []taskq.TaskStatus{taskq.StatusCancelled}
	completed, medium := []taskq.TaskStatus{taskq.StatusCompleted}, taskq.PriorityMedium
	cases := []q{
		{"GetTask", s.q.getTask, []any{mid.ID}, "tasks_pkey"},
		{"GetTask (concurrent calls in one statement)", s.q.expand(getTasksSQL), []any{[]string{mid.ID, ts[1].ID, ts[2].ID}}, "tasks_pkey"},
		{"CreateTask (idempotency lookup)", s.q.getByIdempotencyKey, []any{"owner-0", "key-100"}, "tasks_owner_idempotency_key_idx"},
		{"UpdateTask (one call in a batch)", s.q.updateTask, []any{mid.ID, "running", int16(1), base, nil, nil, int32(0),
			int32(1), nil, nil, int32(0), nil, base, statusMask([]taskq.TaskStatus{taskq.StatusPending}), int32(-1)}, "tasks_pkey"},
		updateTasks("UpdateTask (3 calls in one statement)", []string{ts[1].ID, ts[2].ID, mid.ID}, base),
		{"StartTasks", s.q.startTasks, []any{[]string{mid.ID, ts[1].ID, ts[2].ID}, base}, "tasks_pkey"},
		// The task side of a lease that starts (the queue side is checked
		// by TestExplainQueueUsesIndexes).
		// (queue_entries is empty here: its scans are not checked).
		{"LeaseAndStart (strict)", newQueueQueries(s.q).leaseStartStrict, []any{"default", nil, 16, int64(60e6), base, 8, unbounded}, "tasks_pkey"},
		list("ListTasks newest first", taskq.TaskFilter{}, "", "tasks_pkey"),
		list("ListTasks next page", taskq.TaskFilter{}, mid.ID, "tasks_pkey"),
		// Common filter values: walking an id index backwards finds a
		// page after about limit/selectivity rows.
		list("ListTasks status=completed (60% of tasks)", taskq.TaskFilter{Statuses: completed}, "", "tasks_pkey"),
		list("ListTasks status=pending (15%)", taskq.TaskFilter{Statuses: pending}, "", ""),
		list("ListTasks status=running (5%), next page", taskq.TaskFilter{Statuses: running}, mid.ID, ""),
		list("ListTasks status=cancelled (5%)", taskq.TaskFilter{Statuses: cancelled}, "", ""),
		list("ListTasks type=type-3 (5%), next page", taskq.TaskFilter{Type: "type-3"}, mid.ID, ""),
		list("ListTasks priority=medium (33%), next page", taskq.TaskFilter{Priority: &medium}, mid.ID, "tasks_pkey"),
		list("ListTasks priority=high (33%), next page", taskq.TaskFilter{Priority: &prio}, mid.ID, ""),
		// Rare filter values: their own indexes.
		list("ListTasks status=failed (0.2%)", taskq.TaskFilter{Statuses: failed}, "", "tasks_rare_status_idx"),
		list("ListTasks status=failed (0.2%), next page", taskq.TaskFilter{Statuses: failed}, mid.ID, "tasks_rare_status_idx"),
		list("ListTasks type=report.monthly (0.2%)", taskq.TaskFilter{Type: "report.monthly"}, "", "tasks_type_id_idx"),
		list("ListTasks priority=critical (0.2%)", taskq.TaskFilter{Priority: &critical}, "", "tasks_priority_id_idx"),
		list("ListTasks owner (role user)", taskq.TaskFilter{Owner: "owner-7"}, "", "tasks_owner_id_idx"),
		list("ListTasks owner+status", taskq.TaskFilter{Owner: "owner-7", Statuses: pending}, "", ""),
		list("ListTasks type+status", taskq.TaskFilter{Type: "type-3", Statuses: pending}, "", ""),
		list("Reconciler: pending|failed|running updated before", taskq.TaskFilter{
			Statuses: []taskq.TaskStatus{taskq.StatusPending, taskq.StatusFailed, taskq.StatusRunning}, Queue: "default",
			UpdatedBefore: base.Add(time.Hour), Limit: taskq.MaxPageSize}, "", "tasks_active_idx"),
		dlq("GetDeadLetterTasks oldest first", taskq.DeadLetterFilter{}, time.Time{}, "", "tasks_dlq_idx"),
		dlq("GetDeadLetterTasks next page", taskq.DeadLetterFilter{}, *dlqMid.DeadLetteredAt, dlqMid.ID, "tasks_dlq_idx"),
		dlq("GetDeadLetterTasks type, next page", taskq.DeadLetterFilter{Type: "type-17"}, *dlqMid.DeadLetteredAt, dlqMid.ID, "tasks_dlq_type_idx"),
		{"GetDeadLetterTask", s.q.getDLQTask, []any{dlqMid.ID}, "tasks_pkey"},
		{"CountDeadLetterTasks", s.q.countDLQ, nil, "tasks_dlq_idx"},
		{"MoveTaskToDeadLetter eviction", s.q.evictDLQ, []any{mid.ID}, "owner_usage_dead_letter_idx"},
		{"CleanupDeadLetterTasks", s.q.cleanupDLQ, []any{base.Add(time.Hour)}, "tasks_dlq_idx"},
		{"RemoveFromDeadLetter", s.q.removeDLQTask, []any{dlqMid.ID}, "tasks_pkey"},
		{"DeleteTask", s.q.deleteTask, []any{mid.ID}, "tasks_pkey"},
		{"CountTasks (oldest due pending task per queue)", s.q.expand(oldestPendingSQL), []any{[]string{"default", "other"}, base.Add(time.Hour)},
			"tasks_active_queue_run_at_idx"},
		{"DeleteFinished (task retention, a batch)", s.q.expand(deleteFinishedSQL), []any{base.Add(time.Hour), 1000}, "tasks_finished_idx"},
	}
	var doc strings.Builder
	for _, c := range cases {
		rows, err := s.pool.Query(ctx, "EXPLAIN (COSTS OFF) "+c.sql, c.args...)
		require.NoError(t, err, c.name)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err, c.name)
		plan := strings.Join(lines, "\n")
		fmt.Fprintf(&doc, "-- %s\n%s\n\n", c.name, plan)
		checked := plan
		if strings.HasPrefix(c.name, "LeaseAndStart") {
			checked = strings.ReplaceAll(plan, "Seq Scan on queue_entries", "")
		}
		require.NotContains(t, checked, "Seq Scan", "%s:\n%s", c.name, plan)
		require.Contains(t, plan, "Index", "%s:\n%s", c.name, plan)
		if c.index != "" {
			require.Contains(t, plan, " "+c.index, "%s:\n%s", c.name, plan)
		}
	}
	t.Logf("plans with %d tasks after ANALYZE:\n%s", explainRows, doc.String())
}
