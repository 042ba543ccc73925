package redisstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
	"github.com/taskq/taskq/internal/redisconn"
)

// ListTasks lists tasks newest first (by id, which is time-ordered), with
// keyset pagination on the id as the other storages: a continued listing
// never repeats or skips a task that existed when it began.
//
// Each script call walks the most selective index the filter allows (all
// ids, the status indexes, the type, queue or owner index) down from the
// cursor and filters by the other attributes, examining at most
// Config.ScanBatch ids; the call is repeated until the page is full, the
// index ends, or Config.ScanLimit ids were examined. In the last case the
// page is short (possibly empty) and its cursor continues where the scan
// stopped: a page may be short, never wrong. A malformed cursor gives an
// error matching taskq.ErrInvalidInput.
func (s *Store) ListTasks(ctx context.Context, f taskq.TaskFilter) (taskq.TaskPage, error) {
	if err := s.check(); err != nil {
		return taskq.TaskPage{}, err
	}
	var after string
	if f.Cursor != "" {
		var ok bool
		if after, ok = decodeTaskCursor(f.Cursor); !ok {
			return taskq.TaskPage{}, invalid("malformed cursor")
		}
	}
	sts := make([]string, len(f.Statuses))
	for i, st := range f.Statuses {
		sts[i] = string(st)
	}
	var prio, before string
	if f.Priority != nil {
		prio = strconv.Itoa(int(*f.Priority))
	}
	if !f.UpdatedBefore.IsZero() {
		before = encTimeCeil(f.UpdatedBefore)
	}
	filter := []string{strings.Join(sts, ","), f.Type, prio, f.Owner, f.Queue, before}
	return s.scan(ctx, "list tasks", luaList, f.Limit, after, filter)
}

// scan runs a listing script until the page is full, the index ends or
// the scan limit is reached.
func (s *Store) scan(ctx context.Context, op string, l *redisconn.Script, limit int, after string, filter []string) (taskq.TaskPage, error) {
	limit = names.PageLimit(limit)
	page := taskq.TaskPage{Tasks: make([]*taskq.Task, 0, min(limit, 64))}
	examined := 0
	for {
		want := limit - len(page.Tasks)
		budget := min(max(s.cfg.ScanBatch, want+1), s.cfg.ScanLimit-examined)
		args := append([]string{after, strconv.Itoa(want), strconv.Itoa(budget)}, filter...)
		res, err := s.exec(ctx, l, args).ToArray()
		if err != nil {
			return taskq.TaskPage{}, mapErr(ctx, op, err)
		}
		state, _ := res[0].AsInt64()
		cursor, _ := res[1].ToString()
		for _, r := range res[2:] {
			t, err := decodeRecord(r)
			if err != nil {
				return taskq.TaskPage{}, err
			}
			page.Tasks = append(page.Tasks, t)
		}
		last := func() string {
			t := page.Tasks[len(page.Tasks)-1]
			if op == "list tasks" {
				return t.ID
			}
			var at time.Time // always set on a dead_letter record of this store
			if t.DeadLetteredAt != nil {
				at = *t.DeadLetteredAt
			}
			return dlqMember(at, t.ID)
		}
		switch state {
		case 0:
			return page, nil
		case 1:
			page.NextCursor = encodeCursor(last())
			return page, nil
		}
		// The budget ran out at cursor.
		examined += budget
		after = cursor
		if len(page.Tasks) == limit || examined >= s.cfg.ScanLimit {
			page.NextCursor = encodeCursor(cursor)
			return page, nil
		}
	}
}
