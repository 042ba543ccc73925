package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/schedrec"
)

var _ taskq.ScheduleStore = (*Store)(nil)

func (s *Store) schedulesTable() string {
	return pgx.Identifier{s.q.schema, "schedules"}.Sanitize()
}

// CreateSchedule stores a schedule definition, a row of the schedules
// table (taskq.ScheduleStore).
func (s *Store) CreateSchedule(ctx context.Context, sc taskq.StoredSchedule) error {
	sc, md, err := schedrec.Normalize("postgres: create schedule: ", sc, time.Now())
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO `+s.schedulesTable()+`
		(name, spec, timezone, type, metadata, queue, priority, missed, created_at)
		VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9) ON CONFLICT (name) DO NOTHING`,
		sc.Name, sc.Spec, sc.TimeZone, sc.Type, string(md), sc.Queue, int16(sc.Priority), sc.Missed, sc.Created)
	if err != nil {
		return mapError("create schedule", err)
	}
	if tag.RowsAffected() == 0 {
		return &taskq.Error{Code: taskq.CodeConflict, Message: "postgres: schedule " + sc.Name + " exists"}
	}
	return nil
}

// DeleteSchedule removes a schedule definition (taskq.ScheduleStore).
func (s *Store) DeleteSchedule(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM `+s.schedulesTable()+` WHERE name = $1`, name)
	if err != nil {
		return mapError("delete schedule", err)
	}
	if tag.RowsAffected() == 0 {
		return &taskq.Error{Code: taskq.CodeNotFound, Message: "postgres: schedule " + name + " not found"}
	}
	return nil
}

// ListSchedules returns the schedule definitions sorted by name
// (taskq.ScheduleStore).
func (s *Store) ListSchedules(ctx context.Context) ([]taskq.StoredSchedule, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, spec, timezone, type, metadata::text, queue, priority, missed, created_at
		FROM `+s.schedulesTable()+` ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, mapError("list schedules", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (taskq.StoredSchedule, error) {
		var (
			sc  taskq.StoredSchedule
			md  *string
			pri int16
		)
		if err := r.Scan(&sc.Name, &sc.Spec, &sc.TimeZone, &sc.Type, &md, &sc.Queue, &pri, &sc.Missed, &sc.Created); err != nil {
			return sc, err
		}
		sc.Priority, sc.Created = taskq.TaskPriority(pri), sc.Created.UTC()
		if md != nil && *md != "null" {
			m, err := taskq.DecodeMetadata([]byte(*md))
			if err != nil {
				return sc, err
			}
			sc.Metadata = m
		}
		return sc, nil
	})
	if err != nil {
		return nil, mapError("list schedules", err)
	}
	if out == nil {
		out = []taskq.StoredSchedule{}
	}
	return out, nil
}
