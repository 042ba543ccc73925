package redisstore

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/schedrec"
)

var _ taskq.ScheduleStore = (*Store)(nil)

// schedulesKey is the hash of schedule definitions: field name, value the
// JSON definition.
func (s *Store) schedulesKey() string { return s.k.tag + ":schedules" }

// CreateSchedule stores a schedule definition in the hash
// {prefix}:schedules (taskq.ScheduleStore).
func (s *Store) CreateSchedule(ctx context.Context, sc taskq.StoredSchedule) error {
	if err := s.check(); err != nil {
		return err
	}
	sc, _, err := schedrec.Normalize("redisstore: ", sc, time.Now())
	if err != nil {
		return err
	}
	b, err := json.Marshal(sc)
	if err != nil {
		return invalid("schedule %s: %v", sc.Name, err)
	}
	added, err := s.client.Do(ctx, s.client.B().Hsetnx().Key(s.schedulesKey()).Field(sc.Name).Value(string(b)).Build()).AsBool()
	if err != nil {
		return mapErr(ctx, "create schedule", err)
	}
	if !added {
		return &taskq.Error{Code: taskq.CodeConflict, Message: "redisstore: schedule " + sc.Name + " exists"}
	}
	return nil
}

// DeleteSchedule removes a schedule definition (taskq.ScheduleStore).
func (s *Store) DeleteSchedule(ctx context.Context, name string) error {
	if err := s.check(); err != nil {
		return err
	}
	n, err := s.client.Do(ctx, s.client.B().Hdel().Key(s.schedulesKey()).Field(name).Build()).AsInt64()
	if err != nil {
		return mapErr(ctx, "delete schedule", err)
	}
	if n == 0 {
		return notFound("schedule", name)
	}
	return nil
}

// ListSchedules returns the schedule definitions sorted by name
// (taskq.ScheduleStore).
func (s *Store) ListSchedules(ctx context.Context) ([]taskq.StoredSchedule, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	vals, err := s.client.Do(ctx, s.client.B().Hvals().Key(s.schedulesKey()).Build()).AsStrSlice()
	if err != nil {
		return nil, mapErr(ctx, "list schedules", err)
	}
	out := make([]taskq.StoredSchedule, 0, len(vals))
	for _, v := range vals {
		sc, err := schedrec.Decode([]byte(v))
		if err != nil {
			return nil, &taskq.Error{Code: taskq.CodeInternal, Message: "redisstore: list schedules: cannot decode a definition", Err: err}
		}
		out = append(out, sc)
	}
	slices.SortFunc(out, func(a, b taskq.StoredSchedule) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
