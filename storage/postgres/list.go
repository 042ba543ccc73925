package postgres

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
	"github.com/taskq/taskq/internal/timerange"
)

// Cursors are opaque base64url strings: a task cursor is the 16 bytes of
// the last id of a page; a DLQ cursor is the last entry's DLQ entry time
// (Unix microseconds, 8 bytes big-endian) followed by its id.

func encodeTaskCursor(id string) string {
	u := uuid.MustParse(id)
	return base64.RawURLEncoding.EncodeToString(u[:])
}

func decodeTaskCursor(c string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 16 {
		return "", false
	}
	u, _ := uuid.FromBytes(b)
	return u.String(), true
}

func encodeDLQCursor(at time.Time, id string) string {
	u := uuid.MustParse(id)
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 24), uint64(at.UnixMicro()))
	return base64.RawURLEncoding.EncodeToString(append(b, u[:]...))
}

func decodeDLQCursor(c string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 24 {
		return time.Time{}, "", false
	}
	u, _ := uuid.FromBytes(b[8:])
	at := time.UnixMicro(int64(binary.BigEndian.Uint64(b[:8]))).UTC()
	if !timerange.Valid(at) {
		return time.Time{}, "", false
	}
	return at, u.String(), true
}

// query builds a statement with numbered placeholders.
type query struct {
	where []string
	args  []any
}

func (q *query) add(cond string, arg any) {
	q.args = append(q.args, arg)
	q.where = append(q.where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(q.args))))
}

func (q *query) arg(a any) string {
	q.args = append(q.args, a)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) whereClause() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}

// Statuses by the index that finds them (see migrations/0001_init.sql).
var (
	activeStatuses = map[taskq.TaskStatus]bool{taskq.StatusPending: true, taskq.StatusRunning: true, taskq.StatusFailed: true}
	rareStatuses   = map[taskq.TaskStatus]bool{taskq.StatusFailed: true, taskq.StatusCancelled: true, taskq.StatusDeadLetter: true}
)

func allIn(sts []taskq.TaskStatus, set map[taskq.TaskStatus]bool) bool {
	for _, st := range sts {
		if !set[st] {
			return false
		}
	}
	return true
}

// listTasksQuery builds the ListTasks statement: newest first by id, the
// cursor an id bound, each filter an equality, so that the planner walks
// an id-ordered index backwards and stops after limit rows. A status
// filter also names the partial index that holds those statuses: the rare
// ones (failed, cancelled, dead_letter) on rare_status, the active ones
// (pending, running, failed) on active; completed tasks walk the primary
// key. Owner and priority filters name the predicates of their partial
// indexes (tasks with an owner; priorities other than medium).
func listTasksQuery(table string, f taskq.TaskFilter, after string, limit int) (string, []any) {
	var q query
	if len(f.Statuses) > 0 {
		st := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			st[i] = string(s)
		}
		var p string
		if len(st) == 1 {
			p = q.arg(st[0])
		} else {
			p = "ANY (" + q.arg(st) + "::text[])"
		}
		q.where = append(q.where, "status = "+p)
		switch {
		case allIn(f.Statuses, rareStatuses):
			q.where = append(q.where, "rare_status IS NOT NULL", "rare_status = "+p)
		case allIn(f.Statuses, activeStatuses):
			q.where = append(q.where, "active")
		}
	}
	if f.Type != "" {
		q.add("type = ?", f.Type)
	}
	if f.Priority != nil {
		q.add("priority = ?", int16(*f.Priority))
		if *f.Priority != taskq.PriorityMedium {
			q.where = append(q.where, "priority <> 1")
		}
	}
	if f.Owner != "" {
		q.add("owner = ?", f.Owner)
		q.where = append(q.where, "owner <> ''")
	}
	if f.Queue != "" {
		q.add("queue = ?", f.Queue)
	}
	if !f.UpdatedBefore.IsZero() {
		q.add("updated < ?", f.UpdatedBefore)
	}
	if after != "" {
		q.add("id < ?", after)
	}
	sql := "SELECT " + readColumns + " FROM " + table + q.whereClause() + " ORDER BY id DESC LIMIT " + q.arg(limit+1)
	return sql, q.args
}

// ListTasks lists tasks newest first (ids are time-ordered) with keyset
// pagination on the id, so a continued listing never repeats or skips a
// task, whatever is inserted meanwhile. A malformed cursor gives an error
// matching taskq.ErrInvalidInput.
func (s *Store) ListTasks(ctx context.Context, f taskq.TaskFilter) (taskq.TaskPage, error) {
	const op = "list tasks"
	var after string
	if f.Cursor != "" {
		var ok bool
		if after, ok = decodeTaskCursor(f.Cursor); !ok {
			return taskq.TaskPage{}, invalidInput(op, "malformed cursor")
		}
	}
	if f.Priority != nil && !f.Priority.Valid() {
		return taskq.TaskPage{}, nil
	}
	limit := names.PageLimit(f.Limit)
	sql, args := listTasksQuery(s.q.tasks, f, after, limit)
	tasks, err := s.collect(ctx, sql, args)
	if err != nil {
		return taskq.TaskPage{}, mapError(op, err)
	}
	page := taskq.TaskPage{Tasks: tasks}
	if len(tasks) > limit {
		page.Tasks = tasks[:limit]
		page.NextCursor = encodeTaskCursor(tasks[limit-1].ID)
	}
	return page, nil
}

// dlqQuery builds the GetDeadLetterTasks statement: oldest entry first by
// (dead_lettered_at, id), on the partial DLQ indexes.
func dlqQuery(table string, f taskq.DeadLetterFilter, afterAt time.Time, afterID string, limit int) (string, []any) {
	q := query{where: []string{"rare_status = 'dead_letter'"}}
	if f.Type != "" {
		q.add("type = ?", f.Type)
	}
	if afterID != "" {
		a, b := q.arg(afterAt), q.arg(afterID)
		q.where = append(q.where, "(dead_lettered_at, id) > ("+a+", "+b+"::uuid)")
	}
	sql := "SELECT " + readColumns + " FROM " + table + q.whereClause() +
		" ORDER BY dead_lettered_at, id LIMIT " + q.arg(limit+1)
	return sql, q.args
}

func (s *Store) collect(ctx context.Context, sql string, args []any) ([]*taskq.Task, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tasks := make([]*taskq.Task, 0)
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	return tasks, rows.Err()
}
