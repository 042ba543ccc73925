package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
)

// The DLQ statements that scan entries test rare_status, the generated
// column of the partial DLQ indexes (status itself is in no index, see
// migrations/0001_init.sql); lookups by id test status.
const (
	moveToDLQSQL = `WITH cur AS (SELECT status FROM {schema}.tasks WHERE id = $1),
	upd AS (
		UPDATE {schema}.tasks SET status = 'dead_letter', priority = $2, run_at = $3, started_at = $4,
			completed_at = $5, retry_count = $6, attempts = $7, error = $8, result = $9,
			dlq_retry_count = $10, dead_lettered_at = $11, updated = $12
		WHERE id = $1 AND status NOT IN ('completed', 'cancelled', 'dead_letter')
			AND (status <> 'running' OR attempts = $7)
		RETURNING 1)
	SELECT (SELECT count(*) FROM upd), (SELECT status FROM cur)`

	// dlqExcessSQL is how many entries the DLQ holds beyond $1, from the
	// owner usage counters (see migrations/0008_owner_usage.sql).
	dlqExcessSQL = `SELECT greatest(coalesce(sum(dead_letter), 0) - $1, 0) FROM {schema}.owner_usage`

	// evictDLQSQL purges one entry other than the one just moved ($1): the
	// oldest entry of the owner holding the most entries (ties: the
	// smallest owner), or the oldest entry when that owner has no other.
	evictDLQSQL = `WITH top AS (
		SELECT owner FROM {schema}.owner_usage WHERE dead_letter <> 0 GROUP BY owner HAVING sum(dead_letter) > 0
		ORDER BY sum(dead_letter) DESC, owner LIMIT 1),
	victim AS (
		(SELECT id, 0 AS pick FROM {schema}.tasks
		 WHERE rare_status = 'dead_letter' AND id <> $1 AND owner = (SELECT owner FROM top)
		 ORDER BY owner, dead_lettered_at, id LIMIT 1)
		UNION ALL
		(SELECT id, 1 FROM {schema}.tasks WHERE rare_status = 'dead_letter' AND id <> $1
		 ORDER BY dead_lettered_at, id LIMIT 1)
		ORDER BY pick LIMIT 1)
	DELETE FROM {schema}.tasks WHERE id = (SELECT id FROM victim) RETURNING owner`

	getDLQTaskSQL      = `SELECT ` + readColumns + ` FROM {schema}.tasks WHERE id = $1 AND status = 'dead_letter'`
	removeDLQTaskSQL   = `DELETE FROM {schema}.tasks WHERE id = $1 AND status = 'dead_letter'`
	cleanupDLQSQL      = `DELETE FROM {schema}.tasks WHERE rare_status = 'dead_letter' AND dead_lettered_at < $1`
	countDLQSQL        = `SELECT count(*) FROM {schema}.tasks WHERE rare_status = 'dead_letter'`
	dlqAdvisoryLockSQL = `SELECT pg_advisory_xact_lock($1)`
)

// GetDeadLetterTasks lists DLQ entries oldest entry first, with keyset
// pagination on (dead_lettered_at, id). A malformed cursor gives an error
// matching taskq.ErrInvalidInput.
func (s *Store) GetDeadLetterTasks(ctx context.Context, f taskq.DeadLetterFilter) (taskq.TaskPage, error) {
	const op = "list dead letter tasks"
	var (
		afterAt time.Time
		afterID string
	)
	if f.Cursor != "" {
		var ok bool
		if afterAt, afterID, ok = decodeDLQCursor(f.Cursor); !ok {
			return taskq.TaskPage{}, invalidInput(op, "malformed cursor")
		}
	}
	limit := names.PageLimit(f.Limit)
	sql, args := dlqQuery(s.q.tasks, f, afterAt, afterID, limit)
	tasks, err := s.collect(ctx, sql, args)
	if err != nil {
		return taskq.TaskPage{}, mapError(op, err)
	}
	page := taskq.TaskPage{Tasks: tasks}
	if len(tasks) > limit {
		last := tasks[limit-1]
		page.Tasks = tasks[:limit]
		var at time.Time
		if last.DeadLetteredAt != nil { // always set by this store
			at = *last.DeadLetteredAt
		}
		page.NextCursor = encodeDLQCursor(at, last.ID)
	}
	return page, nil
}

// GetDeadLetterTask returns a task in the DLQ, or ErrNotFound when it is
// missing or not in the DLQ.
func (s *Store) GetDeadLetterTask(ctx context.Context, id string) (*taskq.Task, error) {
	const op = "get dead letter task"
	uid, _, ok := parseUUID(id)
	if !ok {
		return nil, notFound(op)
	}
	t, err := scanTask(s.pool.QueryRow(ctx, s.q.getDLQTask, uid))
	if err != nil {
		return nil, mapError(op, err)
	}
	return t, nil
}

// MoveTaskToDeadLetter stores t (mutable fields and error) as dead_letter,
// entered at t.DeadLetteredAt (now when nil; Updated is now too when zero),
// unless the record is already terminal or running another attempt than
// t.Attempts (ErrConflict) or missing (ErrNotFound). When maxSize > 0 and
// the DLQ then holds more than maxSize entries, other entries are purged in
// the same transaction until it does not, and their number is returned:
// each time the oldest entry of the owner holding the most entries, so one
// owner filling the DLQ evicts its own entries first. Moves are serialized
// by a transaction-scoped
// advisory lock so the cap is exact.
func (s *Store) MoveTaskToDeadLetter(ctx context.Context, t *taskq.Task, maxSize int) (int, error) {
	const op = "move task to dead letter"
	if t == nil {
		return 0, invalidInput(op, "nil task")
	}
	if _, ok := parseID(t.ID); !ok {
		return 0, notFound(op)
	}
	row, err := s.encodeTask(op, t, false)
	if err != nil {
		return 0, err
	}
	now := s.cfg.Now().UTC()
	at, updated := now, t.Updated
	if t.DeadLetteredAt != nil {
		at = *t.DeadLetteredAt
	}
	if updated.IsZero() {
		updated = now
	}
	var (
		moved  int64
		seen   *string
		owners = map[string]int{}
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, dlqAdvisoryLockSQL, s.q.dlqLock); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, s.q.moveToDLQ, row.uid, row.priority, t.RunAt, row.started, row.completed,
			int32(t.RetryCount), int32(t.Attempts), row.errJSON, row.result, int32(t.DLQRetryCount),
			at, updated).Scan(&moved, &seen)
		if err != nil || moved == 0 {
			return err
		}
		if s.q.dispatch {
			if _, err := tx.Exec(ctx, s.q.deleteEntryOfTask, row.uid); err != nil {
				return err
			}
		}
		if maxSize <= 0 {
			return nil
		}
		return s.evictDLQ(ctx, tx, maxSize, row.uid, owners)
	})
	switch {
	case err != nil:
		return 0, mapError(op, err)
	case moved == 1:
		evicted := 0
		for o, n := range owners {
			s.evictions.Add(o, n)
			evicted += n
		}
		return evicted, nil
	case seen == nil:
		return 0, notFound(op)
	}
	if *seen == string(taskq.StatusRunning) {
		return 0, conflict(op, "task is running another attempt")
	}
	return 0, conflict(op, "task is already "+*seen)
}

// evictDLQ purges entries beyond maxSize, other than keep, counting them
// per owner in owners.
func (s *Store) evictDLQ(ctx context.Context, tx pgx.Tx, maxSize int, keep any, owners map[string]int) error {
	var excess int64
	if err := tx.QueryRow(ctx, s.q.dlqExcess, maxSize).Scan(&excess); err != nil {
		return err
	}
	for range excess {
		var owner string
		err := tx.QueryRow(ctx, s.q.evictDLQ, keep).Scan(&owner)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		owners[owner]++
	}
	return nil
}

// TakeDeadLetterEvictions returns the entries the size cap evicted per
// owner since the previous call (taskq.DeadLetterEvictions), counted by
// this Store (other processes count their own).
func (s *Store) TakeDeadLetterEvictions() map[string]int { return s.evictions.Take() }

// RemoveFromDeadLetter purges a DLQ entry, or returns ErrNotFound.
func (s *Store) RemoveFromDeadLetter(ctx context.Context, id string) error {
	const op = "remove dead letter task"
	uid, _, ok := parseUUID(id)
	if !ok {
		return notFound(op)
	}
	ct, err := s.pool.Exec(ctx, s.q.removeDLQTask, uid)
	if err != nil {
		return mapError(op, err)
	}
	if ct.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

// CleanupDeadLetterTasks purges the entries that entered the DLQ before
// threshold, in one statement, and returns how many.
func (s *Store) CleanupDeadLetterTasks(ctx context.Context, threshold time.Time) (int, error) {
	ct, err := s.pool.Exec(ctx, s.q.cleanupDLQ, threshold)
	if err != nil {
		return 0, mapError("cleanup dead letter tasks", err)
	}
	return int(ct.RowsAffected()), nil
}

// CountDeadLetterTasks returns the DLQ size.
func (s *Store) CountDeadLetterTasks(ctx context.Context) (int, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, s.q.countDLQ).Scan(&n); err != nil {
		return 0, mapError("count dead letter tasks", err)
	}
	return int(n), nil
}
