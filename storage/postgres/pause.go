package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/taskq/taskq"
)

func (s *Store) pausedTable() string {
	return pgx.Identifier{s.q.schema, "paused_queues"}.Sanitize()
}

// PauseQueue pauses queue (taskq.QueuePauser).
func (s *Store) PauseQueue(ctx context.Context, queue string) error {
	if queue == "" {
		return invalidInput("pause queue", "empty queue name")
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO `+s.pausedTable()+` (name) VALUES ($1) ON CONFLICT DO NOTHING`, queue)
	return mapError("pause queue", err)
}

// ResumeQueue resumes queue (taskq.QueuePauser).
func (s *Store) ResumeQueue(ctx context.Context, queue string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM `+s.pausedTable()+` WHERE name = $1`, queue)
	return mapError("resume queue", err)
}

// PausedQueues lists the paused queues, sorted (taskq.QueuePauser).
func (s *Store) PausedQueues(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM `+s.pausedTable()+` ORDER BY name`)
	if err != nil {
		return nil, mapError("paused queues", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, mapError("paused queues", err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

var _ taskq.QueuePauser = (*Store)(nil)
