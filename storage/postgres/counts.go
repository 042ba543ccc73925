package postgres

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/taskq/taskq"
)

// countTasksSQL sums the counter rows of task_counts by queue, type and
// status (see migrations/0016_task_counts.sql): a few rows per key, not
// one per record. A key whose records are all gone sums to zero and is
// left out, as a count of the records would never show it.
const countTasksSQL = `SELECT queue, type, status, sum(n)::int8 FROM {schema}.task_counts
GROUP BY queue, type, status HAVING sum(n) <> 0`

// oldestPendingSQL is the run_at of the oldest due pending record of each
// queue of $1: for each, one range of tasks_active_queue_run_at_idx from
// its start, past the running records due earlier, to the first pending
// one due by $2.
const oldestPendingSQL = `SELECT q.name, (SELECT t.run_at FROM {schema}.tasks t
    WHERE t.active AND t.rare_status IS NULL AND t.queue = q.name AND t.status = 'pending' AND t.run_at <= $2
    ORDER BY t.run_at LIMIT 1)
FROM unnest($1::text[]) AS q(name)`

// slotFoldSQL is the statement that folds the counter rows of table kept
// per connection (slot, the writer's pg_backend_pid(); the primary key is
// key plus slot) into slot 0, once that connection has ended: the rows of
// pids no longer in pg_stat_activity are deleted, skipping rows another
// transaction holds, so a fold never waits on a writer and concurrent
// folds take disjoint rows, and their counter columns sums are added to
// the slot 0 rows, in key order.
func slotFoldSQL(table string, key, sums []string) string {
	k, v := strings.Join(key, ", "), strings.Join(sums, ", ")
	total, add := make([]string, len(sums)), make([]string, len(sums))
	for i, c := range sums {
		total[i] = "sum(" + c + ")"
		add[i] = c + " = c." + c + " + EXCLUDED." + c
	}
	return `WITH gone AS (
    DELETE FROM {schema}.` + table + ` WHERE ctid IN (
        SELECT ctid FROM {schema}.` + table + `
        WHERE slot <> 0 AND slot NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
        FOR UPDATE SKIP LOCKED)
    RETURNING ` + k + `, ` + v + `)
INSERT INTO {schema}.` + table + ` AS c (` + k + `, slot, ` + v + `)
SELECT ` + k + `, 0, ` + strings.Join(total, ", ") + ` FROM gone GROUP BY ` + k + ` ORDER BY ` + k + `
ON CONFLICT (` + k + `, slot) DO UPDATE SET ` + strings.Join(add, ", ")
}

// The folds of the three tables kept per connection: queue_counts
// (migration 0015, by Queue.Reap), task_counts (0016) and owner_usage
// (0017; both by CountTasks).
var (
	queueCountsFoldSQL = slotFoldSQL("queue_counts", []string{"queue", "priority"}, []string{"entries"})
	taskCountsFoldSQL  = slotFoldSQL("task_counts", []string{"queue", "type", "status"}, []string{"n"})
	ownerUsageFoldSQL  = slotFoldSQL("owner_usage", []string{"owner"}, []string{"active", "metadata_bytes", "dead_letter"})
)

// foldEvery is how often the counter rows of ended connections are folded
// (task_counts by CountTasks, queue_counts by Queue.Reap).
const foldEvery = time.Minute

// foldGate lets one caller at a time through once foldEvery has passed
// since the last it let through (the zero gate lets the first through).
type foldGate struct{ last atomic.Int64 } // unix nanoseconds

// due reports whether the caller is the one to fold now.
func (g *foldGate) due() bool {
	now := time.Now().UnixNano()
	last := g.last.Load()
	return now-last >= int64(foldEvery) && g.last.CompareAndSwap(last, now)
}

// CountTasks returns the record counts by queue, type and status
// (taskq.StatusCounter) and the oldest due pending task of each queue: the
// sums of the counter rows, then one index probe per queue with pending
// records (see countTasksSQL and oldestPendingSQL). Neither reads every
// record, so the cost does not grow with the number of stored tasks. At
// most once a minute it first folds the counter rows of connections that
// have ended (a failure there is logged; the counts stay exact).
func (s *Store) CountTasks(ctx context.Context, now time.Time) (taskq.TaskCounts, error) {
	s.foldTaskCounts(ctx)
	rows, err := s.pool.Query(ctx, s.q.expand(countTasksSQL))
	if err != nil {
		return taskq.TaskCounts{}, mapError("count tasks", err)
	}
	out := taskq.TaskCounts{Counts: []taskq.TaskCount{}, OldestPending: map[string]time.Time{}}
	var pending []string
	var c taskq.TaskCount
	_, err = pgx.ForEachRow(rows, []any{&c.Queue, &c.Type, &c.Status, &c.Count}, func() error {
		out.Counts = append(out.Counts, c)
		if c.Status == taskq.StatusPending && !slices.Contains(pending, c.Queue) {
			pending = append(pending, c.Queue)
		}
		return nil
	})
	if err != nil {
		return taskq.TaskCounts{}, mapError("count tasks", err)
	}
	if len(pending) > 0 {
		rows, err := s.pool.Query(ctx, s.q.expand(oldestPendingSQL), pending, now)
		if err != nil {
			return taskq.TaskCounts{}, mapError("count tasks", err)
		}
		var q string
		var oldest pgtype.Timestamptz
		_, err = pgx.ForEachRow(rows, []any{&q, &oldest}, func() error {
			if oldest.Valid {
				out.OldestPending[q] = oldest.Time.UTC()
			}
			return nil
		})
		if err != nil {
			return taskq.TaskCounts{}, mapError("count tasks", err)
		}
	}
	out.Sort()
	return out, nil
}

// foldTaskCounts runs taskCountsFoldSQL and ownerUsageFoldSQL when
// foldEvery has passed since this store last did.
func (s *Store) foldTaskCounts(ctx context.Context) {
	if !s.countsFold.due() {
		return
	}
	if _, err := s.pool.Exec(ctx, s.q.expand(taskCountsFoldSQL)); err != nil {
		s.log.WarnContext(ctx, "postgres: folding the task counter rows of ended connections failed", "error", err)
	}
	if _, err := s.pool.Exec(ctx, s.q.expand(ownerUsageFoldSQL)); err != nil {
		s.log.WarnContext(ctx, "postgres: folding the owner usage rows of ended connections failed", "error", err)
	}
}

var _ taskq.StatusCounter = (*Store)(nil)
