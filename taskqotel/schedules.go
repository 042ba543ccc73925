package taskqotel

import (
	"context"

	"github.com/taskq/taskq"
)

// tracedSchedules is the taskq.ScheduleStore of a traced storage: a span
// per call.
type tracedSchedules struct {
	s  taskq.ScheduleStore
	st *tracedStorage
}

func (s tracedSchedules) CreateSchedule(ctx context.Context, sc taskq.StoredSchedule) (err error) {
	ctx, done := s.st.span(ctx, "CreateSchedule")
	defer func() { done(err) }()
	return s.s.CreateSchedule(ctx, sc)
}

func (s tracedSchedules) DeleteSchedule(ctx context.Context, name string) (err error) {
	ctx, done := s.st.span(ctx, "DeleteSchedule")
	defer func() { done(err) }()
	return s.s.DeleteSchedule(ctx, name)
}

func (s tracedSchedules) ListSchedules(ctx context.Context) (_ []taskq.StoredSchedule, err error) {
	ctx, done := s.st.span(ctx, "ListSchedules")
	defer func() { done(err) }()
	return s.s.ListSchedules(ctx)
}
