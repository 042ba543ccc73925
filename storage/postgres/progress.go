package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/taskq/taskq"
)

// setProgressSQL writes the progress of the running attempt $2 of task $1:
// a HOT update (no index covers progress, and the status, which the
// owner usage trigger watches, stays).
const setProgressSQL = `UPDATE {schema}.tasks SET progress = $3
WHERE id = $1 AND status = 'running' AND attempts = $2`

// SetProgress stores p on record id while it runs attempt p.Attempt
// (taskq.ProgressWriter): one conditional UPDATE, and a status read only
// when it changed nothing (to tell a missing record from a conflict).
func (s *Store) SetProgress(ctx context.Context, id string, p taskq.Progress) error {
	const op = "set progress"
	uid, _, ok := parseUUID(id)
	if !ok {
		return notFound(op)
	}
	p.Updated = p.Updated.UTC()
	b, err := json.Marshal(p)
	if err != nil {
		return invalidInput(op, "progress is not encodable as JSON")
	}
	tag, err := s.pool.Exec(ctx, s.q.expand(setProgressSQL), uid, int32(p.Attempt), replaceNUL(b))
	if err != nil {
		return mapError(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var status string
	err = s.pool.QueryRow(ctx, s.q.status, uid).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(op)
	}
	if err != nil {
		return mapError(op, err)
	}
	return conflict(op, fmt.Sprintf("task is %s, not running attempt %d", status, p.Attempt))
}

var _ taskq.ProgressWriter = (*Store)(nil)
