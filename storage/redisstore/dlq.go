package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/taskq/taskq"
)

// GetDeadLetterTasks lists DLQ entries oldest entry first, by
// (dead_lettered_at, id), with keyset pagination on that pair. A type
// filter is applied inside the script with the scan budget of ListTasks. A
// malformed cursor gives an error matching taskq.ErrInvalidInput.
func (s *Store) GetDeadLetterTasks(ctx context.Context, f taskq.DeadLetterFilter) (taskq.TaskPage, error) {
	if err := s.check(); err != nil {
		return taskq.TaskPage{}, err
	}
	var after string
	if f.Cursor != "" {
		var ok bool
		if after, ok = decodeDLQCursor(f.Cursor); !ok {
			return taskq.TaskPage{}, invalid("malformed dead letter cursor")
		}
	}
	return s.scan(ctx, "list dead letter tasks", luaDLQList, f.Limit, after, []string{f.Type})
}

// GetDeadLetterTask returns a task in the DLQ, or an error matching
// taskq.ErrNotFound when it is missing or not in the DLQ.
func (s *Store) GetDeadLetterTask(ctx context.Context, id string) (*taskq.Task, error) {
	t, err := s.GetTask(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Status != taskq.StatusDeadLetter {
		return nil, notFound("dead letter task", id)
	}
	return t, nil
}

// MoveTaskToDeadLetter overwrites the mutable fields of record t.ID with
// those of t as status dead_letter, entered at t.DeadLetteredAt (now when
// nil; Updated too when zero), unless the record is terminal (an error
// matching taskq.ErrConflict) or missing (taskq.ErrNotFound). When
// maxSize > 0 and the DLQ then holds more than maxSize entries, other
// entries are purged in the same script, each the oldest entry of the
// owner holding the most; their number is returned.
func (s *Store) MoveTaskToDeadLetter(ctx context.Context, t *taskq.Task, maxSize int) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	if t == nil || t.ID == "" {
		return 0, invalid("task without id")
	}
	m := *t
	m.Status = taskq.StatusDeadLetter
	if m.DeadLetteredAt == nil || m.Updated.IsZero() {
		now := s.now()
		if m.DeadLetteredAt == nil {
			m.DeadLetteredAt = &now
		}
		if m.Updated.IsZero() {
			m.Updated = now
		}
	}
	return s.update(ctx, "move to dead letter", &m, "m", strconv.Itoa(max(maxSize, 0)))
}

// RemoveFromDeadLetter purges a DLQ entry (record and index entries), or
// returns an error matching taskq.ErrNotFound.
func (s *Store) RemoveFromDeadLetter(ctx context.Context, id string) error {
	return s.purge(ctx, "remove from dead letter", "dead letter task", id, "dlq")
}

// cleanupBatch is how many entries one cleanup script call purges.
const cleanupBatch = 500

// CleanupDeadLetterTasks purges the entries that entered the DLQ strictly
// before threshold and returns how many. It works in script calls of up to
// 500 entries, each atomic, so a large purge never blocks Redis for long.
func (s *Store) CleanupDeadLetterTasks(ctx context.Context, threshold time.Time) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	bound := encTimeCeil(threshold)
	total := 0
	for {
		n, err := s.exec(ctx, luaCleanup, []string{bound, strconv.Itoa(cleanupBatch)}).AsInt64()
		if err != nil {
			return total, mapErr(ctx, "cleanup dead letter tasks", err)
		}
		total += int(n)
		if n < cleanupBatch {
			return total, nil
		}
	}
}

// CountDeadLetterTasks returns the DLQ size (one ZCARD).
func (s *Store) CountDeadLetterTasks(ctx context.Context) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	n, err := s.client.Do(ctx, s.client.B().Zcard().Key(s.k.dlq).Build()).AsInt64()
	if err != nil {
		return 0, mapErr(ctx, "count dead letter tasks", err)
	}
	return int(n), nil
}
