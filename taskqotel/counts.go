package taskqotel

import (
	"context"
	"time"

	"github.com/taskq/taskq"
)

// CountTasks implements taskq.StatusCounter with a span around the
// wrapped storage's CountTasks; a storage that cannot count answers
// taskq.ErrNoCounts, as taskq.Client.QueueStats does for it.
func (s *tracedStorage) CountTasks(ctx context.Context, now time.Time) (_ taskq.TaskCounts, err error) {
	sc, ok := s.s.(taskq.StatusCounter)
	if !ok {
		return taskq.TaskCounts{}, taskq.ErrNoCounts
	}
	ctx, done := s.span(ctx, "CountTasks")
	defer func() { done(err) }()
	return sc.CountTasks(ctx, now)
}
