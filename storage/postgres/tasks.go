package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/taskq/taskq"
)

var (
	getTaskSQL = `SELECT ` + readColumns + ` FROM {schema}.tasks WHERE id = $1`

	getByIdempotencyKeySQL = `SELECT ` + readColumns + ` FROM {schema}.tasks WHERE owner = $1 AND idempotency_key = $2 AND idempotency_key <> ''`

	statusSQL = `SELECT status FROM {schema}.tasks WHERE id = $1`

	// startTasksSQL is one UPDATE of every startable task among $1. It
	// reads the primary key with the id array, which nbtree sorts, so rows
	// are locked in id order and concurrent batches (themselves sorted by
	// id) do not deadlock each other in the common case; a deadlock that
	// still happens rolls the batch back and its statements run again one
	// by one (see writer.flush).
	//
	// The status test is a CASE on purpose: no index can serve it, so the
	// primary key is the only way in. As "status IN (…)" it would match an
	// index on status (the schema has none now, but had one), and with
	// statistics from a table of mostly completed tasks (a fresh burst of
	// pending tasks not yet analyzed) the planner then read every pending
	// task of that index and filtered by id: a scan of the whole backlog
	// per call instead of one probe per id. The update is HOT (see
	// migrations/0001_init.sql).
	startTasksSQL = `UPDATE {schema}.tasks SET status = 'running', started_at = $2, updated = $2, attempts = attempts + 1
	WHERE id = ANY ($1::uuid[])
		AND CASE status WHEN 'pending' THEN true WHEN 'failed' THEN true WHEN 'running' THEN true ELSE false END
	RETURNING ` + readColumns

	deleteTaskSQL = `DELETE FROM {schema}.tasks WHERE id = $1`
)

func duplicate(cause error) error {
	return taskq.NewDuplicateError("", cause)
}

// CreateTask stores a new record through the group-commit writer and
// returns it with its metadata as GetTask returns it (numbers as
// json.Number, nested values copied). A task
// whose id or (owner, idempotency key) exists is not stored: the existing
// one is returned with an error matching taskq.ErrDuplicate.
func (s *Store) CreateTask(ctx context.Context, t *taskq.Task) (*taskq.Task, error) {
	const op = "create task"
	row, err := s.encodeTask(op, t, true)
	if err != nil {
		return nil, err
	}
	if t.UniqueKey != "" {
		return s.createUnique(ctx, row, t)
	}
	for range 3 {
		in := &taskInsert{row: row, t: *t}
		err := s.w.do(ctx, s.w.general, &writeOp{key: row.id, ins: in})
		if err != nil {
			return nil, mapError(op, err)
		}
		if in.inserted {
			c := t.Clone()
			if row.md != nil {
				c.Metadata = row.md // as GetTask will return it
			}
			return c, nil
		}
		existing, err := s.existing(ctx, row.id, t)
		if err == nil {
			return existing, duplicate(nil)
		}
		if !errors.Is(err, taskq.ErrNotFound) {
			return nil, err
		}
		// The conflicting record was deleted meanwhile: insert again.
	}
	return nil, conflict(op, "task keeps conflicting with concurrent changes")
}

// existing returns the record a refused insert collided with: the one
// with the same id, else the one with the same (owner, idempotency key).
func (s *Store) existing(ctx context.Context, id string, t *taskq.Task) (*taskq.Task, error) {
	got, err := scanTask(s.pool.QueryRow(ctx, s.q.getTask, id))
	if errors.Is(err, pgx.ErrNoRows) && t.IdempotencyKey != "" {
		got, err = scanTask(s.pool.QueryRow(ctx, s.q.getByIdempotencyKey, t.Owner, t.IdempotencyKey))
	}
	return got, mapError("create task", err)
}

// CreateTasks stores many records with one COPY, which is a single
// statement and so all or nothing: a duplicate id or idempotency key fails
// the whole batch with an error matching taskq.ErrDuplicate.
func (s *Store) CreateTasks(ctx context.Context, ts []*taskq.Task) error {
	const op = "create tasks"
	if len(ts) == 0 {
		return nil
	}
	rows := make([][]any, len(ts))
	encoded := make([]taskRow, len(ts))
	var entries copiedEntries
	for i, t := range ts {
		row, err := s.encodeTask(op, t, true)
		if err != nil {
			return err
		}
		rows[i], encoded[i] = row.insertValues(t), row
		entries.add(row, t)
	}
	var err error
	switch {
	case hasUnique(ts):
		err = s.copyUnique(ctx, ts, encoded, rows, entries)
		if errors.Is(err, taskq.ErrUniqueExists) {
			return err
		}
	case s.q.dispatch:
		err = s.copyTasksDispatching(ctx, rows, entries)
	default:
		_, err = s.pool.CopyFrom(ctx, pgx.Identifier{s.q.schema, "tasks"}, insertColumns, pgx.CopyFromRows(rows))
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == sqlUniqueViolation {
		return duplicate(err)
	}
	return mapError(op, err)
}

// GetTask returns the record, or an error matching taskq.ErrNotFound.
func (s *Store) GetTask(ctx context.Context, id string) (*taskq.Task, error) {
	const op = "get task"
	uid, key, ok := parseUUID(id)
	if !ok {
		return nil, notFound(op)
	}
	t, err := s.reads.get(ctx, uid, key)
	if err != nil {
		return nil, mapError(op, err)
	}
	return t, nil
}

// UpdateTask overwrites the mutable fields of t.ID if its status is one of
// expect (any when empty), through the group-commit writer. It returns
// ErrNotFound for a missing record and ErrConflict when the precondition
// fails.
func (s *Store) UpdateTask(ctx context.Context, t *taskq.Task, expect ...taskq.TaskStatus) error {
	return s.update(ctx, "update task", t, -1, expect)
}

// UpdateAttempt overwrites the mutable fields of record t.ID while it is
// running attempt number attempt, through the group-commit writer like
// UpdateTask; see taskq.StorageAdapter.
func (s *Store) UpdateAttempt(ctx context.Context, t *taskq.Task, attempt int) error {
	return s.update(ctx, "update attempt", t, attempt, []taskq.TaskStatus{taskq.StatusRunning})
}

func (s *Store) update(ctx context.Context, op string, t *taskq.Task, attempt int, expect []taskq.TaskStatus) error {
	if t == nil {
		return invalidInput(op, "nil task")
	}
	if _, ok := parseID(t.ID); !ok {
		return notFound(op)
	}
	row, err := s.encodeTask(op, t, false)
	if err != nil {
		return err
	}
	u := newTaskUpdate(row, t, expect)
	u.attempt = int32(max(attempt, -1))
	err = s.w.do(ctx, s.w.general, &writeOp{key: row.id, upd: u})
	switch {
	case err != nil:
		return mapError(op, err)
	case u.applied:
		return nil
	}
	// Nothing matched: the record is missing, its status is not one of
	// expect, or it runs another attempt.
	var status string
	if err := s.pool.QueryRow(ctx, s.q.status, row.uid).Scan(&status); err != nil {
		return mapError(op, err)
	}
	if attempt >= 0 && status == string(taskq.StatusRunning) {
		return conflict(op, fmt.Sprintf("task is running another attempt than %d", attempt))
	}
	want := make([]string, len(expect))
	for i, st := range expect {
		want[i] = string(st)
	}
	return conflict(op, "task is "+status+", not "+strings.Join(want, " or "))
}

// StartTasks marks the startable records among ids (pending, failed or
// running) as running at now (the clock when zero) and increments their attempts, in one
// statement through the group-commit writer. It returns them in the order
// of ids; missing and terminal records are left out.
func (s *Store) StartTasks(ctx context.Context, ids []string, now time.Time) ([]*taskq.Task, error) {
	const op = "start tasks"
	uids := make([][16]byte, 0, len(ids)) // pgx encodes [][16]byte without reflection
	canon := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if u, c, ok := parseUUID(id); ok && !seen[c] {
			seen[c] = true
			uids = append(uids, u.Bytes)
			canon = append(canon, c)
		}
	}
	if len(uids) == 0 {
		return []*taskq.Task{}, nil
	}
	if now.IsZero() {
		now = s.cfg.Now()
	}
	now = now.UTC()
	key := canon[0]
	for _, c := range canon[1:] {
		key = min(key, c)
	}
	var started map[string]*taskq.Task
	err := s.w.do(ctx, s.w.starts, &writeOp{key: key, queue: func(b *pgx.Batch) {
		b.Queue(s.q.startTasks, uids, now).Query(func(rows pgx.Rows) error {
			started = make(map[string]*taskq.Task, len(uids))
			for rows.Next() {
				t, err := scanTask(rows)
				if err != nil {
					return err
				}
				started[t.ID] = t
			}
			return rows.Err()
		})
	}})
	if err != nil {
		return nil, mapError(op, err)
	}
	out := make([]*taskq.Task, 0, len(started))
	for _, c := range canon {
		if t := started[c]; t != nil {
			out = append(out, t)
		}
	}
	return out, nil
}

// DeleteTask removes a record for good, or returns ErrNotFound.
func (s *Store) DeleteTask(ctx context.Context, id string) error {
	const op = "delete task"
	uid, _, ok := parseUUID(id)
	if !ok {
		return notFound(op)
	}
	ct, err := s.pool.Exec(ctx, s.q.deleteTask, uid)
	if err != nil {
		return mapError(op, err)
	}
	if ct.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}
