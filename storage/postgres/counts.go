package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/taskq/taskq"
)

// countTasksSQL groups every record by queue, type and status. No index
// holds the status: the hot pending -> running update stays HOT (it writes
// no index entry, see migrations/0001_init.sql), which an index on status
// would prevent, and keeping counters in a table would make every start
// and finish of a task update the same few counter rows. So the query
// reads the table (a sequential or parallel scan): its cost grows with
// the number of stored records, finished ones included. Keep that number
// bounded (delete finished tasks, see the retention settings) where the
// table is large and the counts are read often.
const countTasksSQL = `SELECT queue, type, status, count(*),
    min(run_at) FILTER (WHERE status = 'pending' AND run_at <= $1)
FROM {schema}.tasks GROUP BY queue, type, status`

// CountTasks returns the record counts by queue, type and status
// (taskq.StatusCounter) and the oldest due pending task of each queue,
// with one grouped query that reads every record (see countTasksSQL).
func (s *Store) CountTasks(ctx context.Context, now time.Time) (taskq.TaskCounts, error) {
	rows, err := s.pool.Query(ctx, s.q.expand(countTasksSQL), now)
	if err != nil {
		return taskq.TaskCounts{}, mapError("count tasks", err)
	}
	defer rows.Close()
	out := taskq.TaskCounts{Counts: []taskq.TaskCount{}, OldestPending: map[string]time.Time{}}
	for rows.Next() {
		var c taskq.TaskCount
		var oldest pgtype.Timestamptz
		if err := rows.Scan(&c.Queue, &c.Type, &c.Status, &c.Count, &oldest); err != nil {
			return taskq.TaskCounts{}, mapError("count tasks", err)
		}
		out.Counts = append(out.Counts, c)
		if oldest.Valid {
			at := oldest.Time.UTC()
			if cur, ok := out.OldestPending[c.Queue]; !ok || at.Before(cur) {
				out.OldestPending[c.Queue] = at
			}
		}
	}
	if err := rows.Err(); err != nil {
		return taskq.TaskCounts{}, mapError("count tasks", err)
	}
	out.Sort()
	return out, nil
}

var _ taskq.StatusCounter = (*Store)(nil)
