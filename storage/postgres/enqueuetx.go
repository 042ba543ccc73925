package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/taskq/taskq"
)

// outboxInsertTaskSQL stores one task and, when it is pending, the outbox
// row that makes a Relay push it once the transaction commits (a store
// without Config.Dispatch, whose queue lives elsewhere).
var outboxInsertTaskSQL = `WITH ins AS (` + insertTaskSQL + `
		RETURNING id, status),
	outbox AS (
		INSERT INTO {schema}.task_outbox (task_id) SELECT id FROM ins WHERE status = 'pending')
	SELECT id FROM ins`

// TxEnqueuer creates tasks inside transactions of the caller, so that a
// task exists if and only if the caller's other writes do: rolled back, the
// task never existed and never runs; committed, it runs. It is the
// transactional counterpart of a taskq.Client: the Client builds the
// records (defaults, validation and options are the Client's, as for
// Client.Enqueue), the TxEnqueuer writes them in the caller's pgx.Tx, which
// must be a transaction on the store's database.
//
// How the task reaches its queue depends on the store:
//
//   - With Config.Dispatch (PostgreSQL alone, Store.Queue), the same
//     transaction writes the task's queue entry: the task is dispatchable
//     at commit, and the queue's NOTIFY wakes idle workers then.
//   - Otherwise (a Redis or in-memory queue) the transaction writes a row in
//     the store's outbox and notifies at commit; a Relay pushes the task on
//     the queue within milliseconds after the commit, never before. Every
//     worker runs a Relay (see taskq.OutboxRelay), and a relay started
//     later, or its periodic sweep, pushes what a relay killed between the
//     commit and the push left behind.
//
// A TxEnqueuer is safe for concurrent use (each pgx.Tx is not).
type TxEnqueuer struct {
	store  *Store
	client *taskq.Client
	insert string // statement storing a task and its entry or outbox row
}

// NewTxEnqueuer returns a TxEnqueuer that writes into store the tasks
// client builds. The client's storage and queue are not used: only its
// ClientConfig (default queue, retries, schedule bound, clock, tracer).
func NewTxEnqueuer(store *Store, client *taskq.Client) (*TxEnqueuer, error) {
	if store == nil {
		return nil, errors.New("postgres: NewTxEnqueuer needs a *Store")
	}
	if client == nil {
		return nil, errors.New("postgres: NewTxEnqueuer needs a *taskq.Client (its configuration builds the tasks)")
	}
	insert := store.q.insertTask // with Dispatch, it writes the queue entry too
	if !store.q.dispatch {
		insert = store.q.expand(outboxInsertTaskSQL)
	}
	return &TxEnqueuer{store: store, client: client, insert: insert}, nil
}

// EnqueueTx creates a task inside tx, as Client.Enqueue does outside of
// one: with an idempotency key already used by the same owner (committed,
// or earlier in tx) it returns the existing task and an error matching
// taskq.ErrDuplicate, and tx stays usable. Any other error from the
// database leaves tx aborted: roll it back.
//
// Under REPEATABLE READ or SERIALIZABLE, a key taken by a transaction that
// committed after tx began fails with a serialization error (matching
// taskq.ErrUnavailable) instead: retry the transaction.
func (e *TxEnqueuer) EnqueueTx(ctx context.Context, tx pgx.Tx, taskType string, metadata map[string]any, opts ...taskq.EnqueueOption) (*taskq.Task, error) {
	t, err := e.client.NewTask(taskType, metadata, opts...)
	if err != nil {
		return nil, err
	}
	return e.EnqueueTaskTx(ctx, tx, t)
}

// EnqueueArgsTx creates a typed task inside tx, as Client.EnqueueArgs does
// outside of one (see EnqueueTx).
func (e *TxEnqueuer) EnqueueArgsTx(ctx context.Context, tx pgx.Tx, args taskq.Args, opts ...taskq.EnqueueOption) (*taskq.Task, error) {
	t, err := e.client.NewArgsTask(args, opts...)
	if err != nil {
		return nil, err
	}
	return e.EnqueueTaskTx(ctx, tx, t)
}

// EnqueueTaskTx stores inside tx a task built by Client.NewTask or
// Client.NewArgsTask (see EnqueueTx).
func (e *TxEnqueuer) EnqueueTaskTx(ctx context.Context, tx pgx.Tx, t *taskq.Task) (_ *taskq.Task, err error) {
	const op = "enqueue task in transaction"
	if tx == nil {
		return nil, invalidInput(op, "nil transaction")
	}
	if tr := e.client.Config().Tracer; tr != nil && t != nil {
		// The client's tracer records the enqueue's trace context in the
		// task before it is stored, as for Client.Enqueue.
		var end func(error)
		ctx, end = tr.StartEnqueue(ctx, []*taskq.Task{t})
		defer func() { end(err) }()
	}
	s := e.store
	row, err := s.encodeTask(op, t, true)
	if err != nil {
		return nil, err
	}
	if t.UniqueKey != "" {
		existing, err := insertUniqueIn(ctx, tx, s.q, e.insert, row, t)
		if err != nil {
			return existing, err
		}
		return createdCopy(row, t), nil
	}
	for range 3 {
		// ON CONFLICT DO NOTHING: a duplicate raises no error, which would
		// abort the caller's transaction.
		var id pgtype.UUID
		err := tx.QueryRow(ctx, e.insert, row.insertValues(t)...).Scan(&id)
		if err == nil {
			c := t.Clone()
			if row.md != nil {
				c.Metadata = row.md // as GetTask will return it
			}
			return c, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, mapError(op, err)
		}
		existing, err := existingIn(ctx, tx, s.q, row, t)
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

// EnqueueManyTx creates the tasks of reqs inside tx, as Client.EnqueueMany
// does outside of one: all or nothing. A duplicate id or idempotency key
// (also one repeated within reqs) stores none of them and returns an error
// matching taskq.ErrDuplicate. The inserts run under a savepoint of tx, in
// one round trip: on any error tx is left as it was before the call, still
// usable.
func (e *TxEnqueuer) EnqueueManyTx(ctx context.Context, tx pgx.Tx, reqs []taskq.EnqueueRequest) (_ []*taskq.Task, err error) {
	const op = "enqueue tasks in transaction"
	if tx == nil {
		return nil, invalidInput(op, "nil transaction")
	}
	tasks := make([]*taskq.Task, len(reqs))
	for i, r := range reqs {
		var t *taskq.Task
		var err error
		switch {
		case r.Args != nil && (r.Type != "" || r.Metadata != nil):
			err = &taskq.Error{Code: taskq.CodeValidation, Message: fmt.Sprintf("request %d: Args excludes Type and Metadata", i)}
		case r.Args != nil:
			t, err = e.client.NewArgsTask(r.Args, r.Options...)
		default:
			t, err = e.client.NewTask(r.Type, r.Metadata, r.Options...)
		}
		if err != nil {
			return nil, err
		}
		tasks[i] = t
	}
	if len(tasks) == 0 {
		return tasks, nil
	}
	if tr := e.client.Config().Tracer; tr != nil {
		var end func(error)
		ctx, end = tr.StartEnqueue(ctx, tasks)
		defer func() { end(err) }()
	}
	rows := make([]taskRow, len(tasks))
	for i, t := range tasks {
		if rows[i], err = e.store.encodeTask(op, t, true); err != nil {
			return nil, err
		}
	}
	sp, err := tx.Begin(ctx) // SAVEPOINT
	if err != nil {
		return nil, mapError(op, err)
	}
	err = claimAllUnique(ctx, sp, e.store.q, tasks, rows)
	inserted := 0
	if err == nil {
		inserted, err = e.insertAll(ctx, sp, rows, tasks)
	}
	if err == nil && inserted < len(tasks) {
		err = duplicate(nil)
	}
	if err != nil {
		_ = sp.Rollback(ctx) // ROLLBACK TO SAVEPOINT: tx is as before
		return nil, err
	}
	if err := sp.Commit(ctx); err != nil { // RELEASE SAVEPOINT
		return nil, mapError(op, err)
	}
	out := make([]*taskq.Task, len(tasks))
	for i, t := range tasks {
		out[i] = t.Clone()
		if rows[i].md != nil {
			out[i].Metadata = rows[i].md
		}
	}
	return out, nil
}

// insertAll sends the inserts of tasks in one batch and returns how many
// stored their task.
func (e *TxEnqueuer) insertAll(ctx context.Context, tx pgx.Tx, rows []taskRow, tasks []*taskq.Task) (int, error) {
	b := &pgx.Batch{}
	for i, t := range tasks {
		b.Queue(e.insert, rows[i].insertValues(t)...)
	}
	br := tx.SendBatch(ctx, b)
	inserted := 0
	var firstErr error
	for range tasks {
		var id pgtype.UUID
		switch err := br.QueryRow().Scan(&id); {
		case err == nil:
			inserted++
		case errors.Is(err, pgx.ErrNoRows):
		case firstErr == nil:
			firstErr = err
		}
	}
	if err := br.Close(); err != nil && firstErr == nil {
		firstErr = err
	}
	return inserted, mapError("enqueue tasks in transaction", firstErr)
}

// existingIn returns, read in tx, the record a refused insert collided
// with: the one with the same id, else the one with the same (owner,
// idempotency key).
func existingIn(ctx context.Context, tx pgx.Tx, q *queries, row taskRow, t *taskq.Task) (*taskq.Task, error) {
	got, err := scanTask(tx.QueryRow(ctx, q.getTask, row.uid))
	if errors.Is(err, pgx.ErrNoRows) && t.IdempotencyKey != "" {
		got, err = scanTask(tx.QueryRow(ctx, q.getByIdempotencyKey, t.Owner, t.IdempotencyKey))
	}
	return got, mapError("enqueue task in transaction", err)
}
