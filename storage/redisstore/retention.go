package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/taskq/taskq"
)

var _ taskq.FinishedDeleter = (*Store)(nil)

// finishedBatch is how many records one retention script call purges.
const finishedBatch = 500

// DeleteFinished implements taskq.FinishedDeleter. Completed and cancelled
// tasks are indexed by completion time ({prefix}:fin); it purges the
// oldest, up to limit, in script calls of at most 500 records, each atomic
// and short, so Redis serves other clients between them.
func (s *Store) DeleteFinished(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	bound := encTimeCeil(before)
	total := 0
	for total < limit {
		batch := min(finishedBatch, limit-total)
		res, err := s.exec(ctx, luaFinished, []string{bound, strconv.Itoa(batch)}).AsIntSlice()
		if err != nil {
			return total, mapErr(ctx, "delete finished tasks", err)
		}
		if len(res) != 2 {
			return total, corrupt("?", strconv.ErrSyntax)
		}
		total += int(res[0])
		if res[1] < int64(batch) {
			break
		}
	}
	return total, nil
}
