package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/taskq/taskq"
)

// Unique tasks (taskq.UniqueOpts) keep their keys in task_unique (see
// migrations/0009_task_unique.sql). Creating one takes its key in the
// transaction that inserts it; these creations bypass the group-commit
// writer, which cannot hold a row lock across statements.
var (
	claimUniqueSQL = `INSERT INTO {schema}.task_unique (key, task_id, states) VALUES ($1, $2, $3)
	ON CONFLICT (key) DO NOTHING`
	lockUniqueSQL = `SELECT task_id, states FROM {schema}.task_unique WHERE key = $1 FOR UPDATE`
	takeUniqueSQL = `UPDATE {schema}.task_unique SET task_id = $2, states = $3 WHERE key = $1`
	// heldBySQL reads the task holding key $1, if any, without a lock:
	// the fast path of a duplicate.
	// (No column of task_unique shares a name with one of tasks.)
	heldBySQL = `SELECT ` + readColumns + ` FROM {schema}.task_unique u JOIN {schema}.tasks t ON t.id = u.task_id
	WHERE u.key = $1 AND t.status = ANY (u.states)`
)

// errRollback ends a transaction that changed nothing worth a commit.
var errRollback = errors.New("rollback")

func uniqueDuplicate(id string) error {
	return taskq.NewUniqueError("task "+id+" holds the unique key", nil)
}

// claimUnique makes task uid the holder of key in tx, unless a task holds
// it: then that task is returned. The row of key is inserted, or locked
// and then checked: its holder's status is read by a statement that
// starts after the lock is granted, so it sees the commit of a concurrent
// creation that held the lock before.
func claimUnique(ctx context.Context, tx pgx.Tx, q *queries, key string, uid pgtype.UUID, states []taskq.TaskStatus) (*taskq.Task, error) {
	st := make([]string, len(states))
	for i, s := range states {
		st[i] = string(s)
	}
	for range 5 {
		ct, err := tx.Exec(ctx, q.expand(claimUniqueSQL), key, uid, st)
		if err != nil {
			return nil, err
		}
		if ct.RowsAffected() == 1 {
			return nil, nil
		}
		var holderID pgtype.UUID
		var holderStates []string
		err = tx.QueryRow(ctx, q.expand(lockUniqueSQL), key).Scan(&holderID, &holderStates)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // its task was deleted meanwhile: insert again
		}
		if err != nil {
			return nil, err
		}
		holder, err := scanTask(tx.QueryRow(ctx, q.getTask, holderID))
		switch {
		case err == nil && slices.Contains(holderStates, string(holder.Status)):
			return holder, nil
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return nil, err
		}
		if _, err := tx.Exec(ctx, q.expand(takeUniqueSQL), key, uid, st); err != nil {
			return nil, err
		}
		return nil, nil
	}
	return nil, conflict("create task", "unique key keeps changing holders; try again")
}

// insertUniqueIn stores t (whose UniqueKey is set) with insert under a
// savepoint of tx: it takes the key, then inserts the task. A task with
// the same id or (owner, idempotency key) gives that task and an error
// matching taskq.ErrDuplicate, a task holding the key that task and an
// error matching taskq.ErrUniqueExists; either way tx is left as before.
// A nil task and nil error mean stored.
func insertUniqueIn(ctx context.Context, tx pgx.Tx, q *queries, insert string, row taskRow, t *taskq.Task) (*taskq.Task, error) {
	const op = "create task"
	for range 3 {
		sp, err := tx.Begin(ctx) // SAVEPOINT
		if err != nil {
			return nil, mapError(op, err)
		}
		holder, err := claimUnique(ctx, sp, q, t.UniqueKey, row.uid, t.UniqueStates)
		if err == nil && holder == nil {
			var n int64
			if n, err = execRows(ctx, sp, insert, row.insertValues(t)); err == nil && n == 1 {
				if err := sp.Commit(ctx); err != nil { // RELEASE SAVEPOINT
					return nil, mapError(op, err)
				}
				return nil, nil
			}
		}
		_ = sp.Rollback(ctx) // ROLLBACK TO SAVEPOINT
		if err != nil {
			return nil, mapError(op, err)
		}
		// A duplicate id or idempotency key comes first, as on every
		// backend; else the key's holder.
		existing, err := existingIn(ctx, tx, q, row, t)
		switch {
		case err == nil:
			return existing, duplicate(nil)
		case !errors.Is(err, taskq.ErrNotFound):
			return nil, err
		case holder != nil:
			return holder, uniqueDuplicate(holder.ID)
		}
		// The conflicting record was deleted meanwhile: try again.
	}
	return nil, conflict(op, "task keeps conflicting with concurrent changes")
}

// execRows runs sql and returns the rows it affected or returned.
func execRows(ctx context.Context, tx pgx.Tx, sql string, args []any) (int64, error) {
	ct, err := tx.Exec(ctx, sql, args...)
	return ct.RowsAffected(), err
}

// createUnique is CreateTask for a task with a unique key: one
// transaction of its own, after a look without a lock: a key held at that
// moment is a duplicate at once (one round trip, nothing to commit).
func (s *Store) createUnique(ctx context.Context, row taskRow, t *taskq.Task) (*taskq.Task, error) {
	const op = "create task"
	holder, err := scanTask(s.pool.QueryRow(ctx, s.q.expand(heldBySQL), t.UniqueKey))
	switch {
	case err == nil:
		// A duplicate id or idempotency key comes first.
		existing, err := s.existing(ctx, row.id, t)
		if err == nil {
			return existing, duplicate(nil)
		}
		if !errors.Is(err, taskq.ErrNotFound) {
			return nil, err
		}
		return holder, uniqueDuplicate(holder.ID)
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, mapError(op, err)
	}
	var existing *taskq.Task
	var dupErr error
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		existing, dupErr = insertUniqueIn(ctx, tx, s.q, s.q.insertTask, row, t)
		switch {
		case existing != nil:
			return errRollback // the savepoint undid everything
		case dupErr != nil:
			return dupErr
		}
		return nil
	})
	if existing != nil {
		return existing, dupErr
	}
	if err != nil {
		return nil, mapError(op, err)
	}
	return createdCopy(row, t), nil
}

// createdCopy is the task CreateTask returns: as GetTask will return it.
func createdCopy(row taskRow, t *taskq.Task) *taskq.Task {
	c := t.Clone()
	if row.md != nil {
		c.Metadata = row.md
	}
	c.UniqueKey, c.UniqueStates = "", nil
	return c
}

// hasUnique reports whether a task of ts has a unique key.
func hasUnique(ts []*taskq.Task) bool {
	return slices.ContainsFunc(ts, func(t *taskq.Task) bool { return t.UniqueKey != "" })
}

// claimAllUnique takes in tx the unique keys of ts (rows are their
// encoded forms), in key order so that concurrent batches wait for each
// other instead of deadlocking. A key held by a task, or twice in ts,
// gives an error matching taskq.ErrUniqueExists; tx is then to be rolled
// back.
func claimAllUnique(ctx context.Context, tx pgx.Tx, q *queries, ts []*taskq.Task, rows []taskRow) error {
	order := make([]int, 0, len(ts))
	for i, t := range ts {
		if t.UniqueKey != "" {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(ts[a].UniqueKey, ts[b].UniqueKey) })
	for j, i := range order {
		t := ts[i]
		if j > 0 && ts[order[j-1]].UniqueKey == t.UniqueKey {
			return uniqueDuplicate(t.ID)
		}
		holder, err := claimUnique(ctx, tx, q, t.UniqueKey, rows[i].uid, t.UniqueStates)
		if err != nil {
			return mapError("create tasks", err)
		}
		if holder != nil {
			return uniqueDuplicate(holder.ID)
		}
	}
	return nil
}

// copyUnique is CreateTasks for a batch with unique keys: the keys are
// taken, then the rows copied (with their queue entries under Dispatch),
// in one transaction.
func (s *Store) copyUnique(ctx context.Context, ts []*taskq.Task, encoded []taskRow, rows [][]any, e copiedEntries) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := claimAllUnique(ctx, tx, s.q, ts, encoded); err != nil {
			return err
		}
		return copyTasksIn(ctx, tx, s.q, rows, e)
	})
}

// copyTasksIn stores rows with COPY in tx and, under Dispatch, the queue
// entries e of the pending ones.
func copyTasksIn(ctx context.Context, tx pgx.Tx, q *queries, rows [][]any, e copiedEntries) error {
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{q.schema, "tasks"}, insertColumns, pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	if !q.dispatch || len(e.ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, q.entriesOfCopied, e.queues, e.ids, e.prios, pgtype.FlatArray[*time.Time](e.runAts), e.types, e.owners)
	return err
}
