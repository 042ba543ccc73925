package postgres

import (
	"context"
	"time"

	"github.com/taskq/taskq"
)

var _ taskq.FinishedDeleter = (*Store)(nil)

// deleteFinishedSQL deletes one batch of finished tasks, oldest first. The
// batch walks tasks_finished_idx (migration 0011) and skips rows locked by
// a concurrent update, so it never waits for a writer, and inserts take no
// lock a delete holds. ARRAY(...) is evaluated once, before the delete
// (an IN subquery with LIMIT may be rescanned and, with SKIP LOCKED,
// return other rows), and the delete then reads the primary key. The rows
// the batch locked cannot change before the DELETE.
const deleteFinishedSQL = `DELETE FROM {schema}.tasks WHERE id = ANY (ARRAY(
    SELECT id FROM {schema}.tasks
    WHERE NOT active AND (rare_status IS NULL OR rare_status = 'cancelled') AND completed_at < $1
    ORDER BY completed_at LIMIT $2 FOR UPDATE SKIP LOCKED))`

// DeleteFinished implements taskq.FinishedDeleter: one DELETE statement of
// at most limit completed or cancelled tasks finished before before, its
// own short transaction. The owner usage triggers count the deletion in it.
func (s *Store) DeleteFinished(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	ct, err := s.pool.Exec(ctx, s.q.expand(deleteFinishedSQL), before, limit)
	if err != nil {
		return 0, mapError("delete finished tasks", err)
	}
	return int(ct.RowsAffected()), nil
}
