package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/taskq/taskq"
)

// SetProgress stores p on record id while it runs attempt p.Attempt
// (taskq.ProgressWriter): one script that checks the status and attempts
// and sets the field pg.
func (s *Store) SetProgress(ctx context.Context, id string, p taskq.Progress) error {
	const op = "set progress"
	if err := s.check(); err != nil {
		return err
	}
	p.Updated = p.Updated.UTC().Truncate(time.Microsecond)
	b, err := json.Marshal(p)
	if err != nil {
		return invalid("task %s: progress is not encodable as JSON", id)
	}
	res, err := s.exec(ctx, luaProgress, []string{id, strconv.Itoa(p.Attempt), string(b)}).ToArray()
	if err != nil {
		return mapErr(ctx, op, err)
	}
	switch code, _ := res[0].AsInt64(); code {
	case 0:
		return notFound("task", id)
	case 2:
		st, _ := res[1].ToString()
		a, _ := res[2].ToString()
		return conflict(id, fmt.Sprintf("%s attempt %s, not running attempt %d", st, a, p.Attempt))
	}
	return nil
}

var _ taskq.ProgressWriter = (*Store)(nil)
