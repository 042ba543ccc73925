package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/taskq/taskq"
)

// With Config.Dispatch, the statements that create, finish and delete
// tasks also write the tasks' entries in queue_entries (the Queue of the
// same schema), in the same statement: a task record and its dispatch
// entry never disagree, whatever crashes.

// entriesOfInserted is the CTE that adds the entries of the pending tasks
// a CTE ins inserted (ready now, or scheduled at their run_at; the record
// holds it rounded to the nearest microsecond, so a microsecond more
// keeps the entry from being ready before the task's run time). A task
// whose run_at is not after its creation time was enqueued to run at
// once: its entry is ready now by the database clock, whatever the clock
// of the process that created it (as Client.Enqueue does for the other
// queues), with its round (fair sharing; the entries of an owner in one
// statement are numbered on in id order, the creation order of the
// Client's ids); a scheduled one gets its round when a lease finds it
// due. The queue's insert trigger records the names and notifies
// listeners.
const entriesOfInserted = `n AS (
		SELECT queue, id::text AS id, priority, CASE WHEN run_at > created
			THEN greatest(run_at + interval '1 microsecond', statement_timestamp())
			ELSE statement_timestamp() END AS run_at, type, owner, NOT (run_at > created) AS ready
		FROM ins WHERE status = 'pending'
	), st AS (
		SELECT queue, priority, owner, {schema}.queue_round_start(queue, priority, owner) AS s
		FROM (SELECT DISTINCT queue, priority, owner FROM n WHERE ready) d
	), entries AS (
		INSERT INTO {schema}.queue_entries (queue, id, priority, run_at, type, owner, round)
		SELECT n.queue, n.id, n.priority, n.run_at, n.type, n.owner,
			CASE WHEN n.ready THEN st.s + row_number() OVER (PARTITION BY n.queue, n.priority, n.owner, n.ready ORDER BY n.id) - 1 END
		FROM n LEFT JOIN st ON n.ready AND st.queue = n.queue AND st.priority = n.priority AND st.owner = n.owner
		ON CONFLICT DO NOTHING)`

// entriesOfFinished is the CTE that deletes the entries of the tasks a CTE
// u moved to a terminal status, wherever they are (a leased one is
// reported lost by its holder's next Extend).
const entriesOfFinished = `gone AS (
		DELETE FROM {schema}.queue_entries qe USING u
		WHERE u.status IN ('completed', 'cancelled', 'dead_letter') AND qe.queue = u.queue AND qe.id = u.id::text)`

var (
	dispatchInsertTaskSQL = `WITH ins AS (` + insertTaskSQL + `
		RETURNING id, status, queue, priority, run_at, created, type, owner),
	` + entriesOfInserted + `
	SELECT id FROM ins`

	dispatchInsertTasksSQL = `WITH ins AS (` + insertTasksBase + `
		RETURNING id, status, queue, priority, run_at, created, type, owner),
	` + entriesOfInserted + `
	SELECT id FROM ins`

	dispatchUpdateTaskSQL = `WITH u AS (` + updateTaskSQL + `
		RETURNING id, queue, status),
	` + entriesOfFinished + `
	SELECT id FROM u`

	dispatchUpdateTasksSQL = `WITH u AS (` + updateTasksBase + `
		RETURNING v.ord, tasks.id, tasks.queue, tasks.status),
	` + entriesOfFinished + `
	SELECT ord FROM u`

	dispatchDeleteTaskSQL = `WITH u AS (DELETE FROM {schema}.tasks WHERE id = $1 RETURNING id, queue, 'cancelled'::text AS status),
	` + entriesOfFinished + `
	SELECT id FROM u`

	// deleteEntryOfTaskSQL deletes the entry of task $1 (MoveTaskToDeadLetter,
	// in its transaction).
	deleteEntryOfTaskSQL = `DELETE FROM {schema}.queue_entries qe USING {schema}.tasks t
	WHERE t.id = $1 AND qe.queue = t.queue AND qe.id = t.id::text`

	// entriesOfCopiedSQL adds the entries of tasks stored by COPY
	// (CreateTasks), in array order, those due now with their rounds (as
	// enqueueSQL).
	entriesOfCopiedSQL = `WITH e AS MATERIALIZED (
		SELECT e.queue, e.id, e.priority, greatest(e.run_at, statement_timestamp()) AS run_at, e.type, e.owner, e.ord,
			coalesce(e.run_at <= statement_timestamp(), true) AS ready
		FROM unnest($1::text[], $2::text[], $3::int2[], $4::timestamptz[], $5::text[], $6::text[])
			WITH ORDINALITY AS e(queue, id, priority, run_at, type, owner, ord)
	), st AS (
		SELECT queue, priority, owner, {schema}.queue_round_start(queue, priority, owner) AS s
		FROM (SELECT DISTINCT queue, priority, owner FROM e WHERE ready) d
	)
	INSERT INTO {schema}.queue_entries (queue, id, priority, run_at, type, owner, round)
	SELECT e.queue, e.id, e.priority, e.run_at, e.type, e.owner,
		CASE WHEN e.ready THEN st.s + row_number() OVER (PARTITION BY e.queue, e.priority, e.owner, e.ready ORDER BY e.ord) - 1 END
	FROM e LEFT JOIN st ON e.ready AND st.queue = e.queue AND st.priority = e.priority AND st.owner = e.owner
	ORDER BY e.ord
	ON CONFLICT DO NOTHING`
)

// useDispatch switches q to the statements that keep queue entries.
func (q *queries) useDispatch() {
	x := q.expand
	q.dispatch = true
	q.insertTask, q.insertTasks = x(dispatchInsertTaskSQL), x(dispatchInsertTasksSQL)
	q.updateTask, q.updateTasks = x(dispatchUpdateTaskSQL), x(dispatchUpdateTasksSQL)
	q.deleteTask = x(dispatchDeleteTaskSQL)
	q.deleteEntryOfTask = x(deleteEntryOfTaskSQL)
	q.entriesOfCopied = x(entriesOfCopiedSQL)
}

// copyTasksDispatching stores rows with COPY and adds the entries e (of
// the pending tasks among them), in one transaction.
func (s *Store) copyTasksDispatching(ctx context.Context, rows [][]any, e copiedEntries) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return copyTasksIn(ctx, tx, s.q, rows, e) })
}

// copiedEntries are the queue entries of the pending tasks of a
// CreateTasks call, as arrays.
type copiedEntries struct {
	queues, ids, types, owners []string
	prios                      []int16
	runAts                     []*time.Time // nil: now
}

func (e *copiedEntries) add(row taskRow, t *taskq.Task) {
	if t.Status != taskq.StatusPending {
		return
	}
	e.queues = append(e.queues, t.Queue)
	e.ids = append(e.ids, row.id)
	e.types = append(e.types, t.Type)
	e.owners = append(e.owners, t.Owner)
	e.prios = append(e.prios, row.priority)
	e.runAts = append(e.runAts, runAtArg(t.RunAt))
}
