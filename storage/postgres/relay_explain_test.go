package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// TestExplainRelayTakeUsesIndexes checks the plan of the relay's statement
// with a large outbox (a relay that was down for a while): the oldest rows
// come from the outbox's primary key, their tasks from the tasks' primary
// key, and nothing is read sequentially.
func TestExplainRelayTakeUsesIndexes(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	ctx := t.Context()
	now := time.Now().UTC()
	ts := make([]*taskq.Task, 20000)
	for i := range ts {
		ts[i] = &taskq.Task{ID: taskq.NewID(), Type: "t", Status: taskq.StatusPending, Priority: taskq.PriorityMedium,
			Created: now, Updated: now, RunAt: now, Queue: "default", MaxRetries: 1}
	}
	for i := 0; i < len(ts); i += 5000 {
		require.NoError(t, s.CreateTasks(ctx, ts[i:i+5000]))
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO taskq.task_outbox (task_id) SELECT id FROM taskq.tasks`)
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, `ANALYZE taskq.tasks, taskq.task_outbox`)
	require.NoError(t, err)

	tx, err := s.pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	rows, err := tx.Query(ctx, "EXPLAIN (COSTS OFF) "+s.q.expand(takeOutboxSQL), DefaultRelayBatchSize)
	require.NoError(t, err)
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	plan := strings.Join(lines, "\n")
	t.Logf("relay take, %d outbox rows:\n%s", len(ts), plan)
	require.NotContains(t, plan, "Seq Scan", plan)
	require.Contains(t, plan, "task_outbox_pkey", plan)
	require.Contains(t, plan, "tasks_pkey", plan)
}
