package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/taskq/taskq"
)

// statusBits numbers the statuses for the expect masks of updateTasksSQL.
var statusBits = []taskq.TaskStatus{taskq.StatusPending, taskq.StatusRunning, taskq.StatusCompleted,
	taskq.StatusFailed, taskq.StatusCancelled, taskq.StatusDeadLetter}

// anyStatus is the expect mask of an update without precondition: every
// status the schema allows.
const anyStatus = 1<<6 - 1

// statusMask returns the expect mask of statuses (anyStatus when empty).
// Statuses the schema does not allow add nothing: no record has them.
func statusMask(statuses []taskq.TaskStatus) int32 {
	if len(statuses) == 0 {
		return anyStatus
	}
	var m int32
	for _, st := range statuses {
		for i, known := range statusBits {
			if st == known {
				m |= 1 << i
			}
		}
	}
	return m
}

// statusBitSQL is the bit of tasks.status in the expect masks.
var statusBitSQL = func() string {
	var b strings.Builder
	b.WriteString("CASE tasks.status")
	for i, st := range statusBits {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", st, 1<<i)
	}
	b.WriteString(" ELSE 0 END")
	return b.String()
}()

// updateTasksSQL applies many UpdateTask calls in one statement: row i of
// the arrays overwrites the mutable fields of task $1[i] if the bit of its
// status is set in the mask $14[i] and, when $15[i] >= 0, its attempts
// equal $15[i] (UpdateAttempt), and RETURNING names the rows applied by
// their ordinal. The rows arrive sorted by id and the join reads them in
// array order, a nested loop over the primary key, so concurrent batches
// lock rows in the same order. The status test reads no index (see
// startTasksSQL).
var updateTasksSQL = updateTasksBase + `
	RETURNING v.ord`

// updateTasksBase is updateTasksSQL without its RETURNING clause.
var updateTasksBase = `UPDATE {schema}.tasks SET status = v.status, priority = v.priority, run_at = v.run_at,
		started_at = v.started_at, completed_at = v.completed_at, retry_count = v.retry_count,
		attempts = v.attempts, error = v.error, result = v.result, dlq_retry_count = v.dlq_retry_count,
		dead_lettered_at = v.dead_lettered_at, updated = v.updated
	FROM unnest($1::uuid[], $2::text[], $3::int2[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[],
		$7::int4[], $8::int4[], $9::jsonb[], $10::jsonb[], $11::int4[], $12::timestamptz[],
		$13::timestamptz[], $14::int4[], $15::int4[])
		WITH ORDINALITY AS v(id, status, priority, run_at, started_at, completed_at, retry_count,
			attempts, error, result, dlq_retry_count, dead_lettered_at, updated, expect, attempt, ord)
	WHERE tasks.id = v.id AND (v.expect & ` + statusBitSQL + `) <> 0 AND (v.attempt < 0 OR tasks.attempts = v.attempt)`

// updateTaskSQL is updateTasksSQL for one row (a batch with one
// UpdateTask call), planned and run a little faster.
var updateTaskSQL = `UPDATE {schema}.tasks SET status = $2, priority = $3, run_at = $4, started_at = $5,
		completed_at = $6, retry_count = $7, attempts = $8, error = $9, result = $10,
		dlq_retry_count = $11, dead_lettered_at = $12, updated = $13
	WHERE id = $1 AND ($14::int4 & ` + statusBitSQL + `) <> 0 AND ($15::int4 < 0 OR attempts = $15)`

// taskUpdate is one UpdateTask call: the encoded mutable fields, the
// expected statuses as a mask (see statusMask), and whether the batch
// applied it.
type taskUpdate struct {
	id                   string // canonical
	uid                  pgtype.UUID
	status               string
	priority             int16
	runAt, updated       time.Time
	started, completed   *time.Time
	deadLetter           *time.Time
	retryCount, attempts int32
	dlqRetryCount        int32
	errJSON, result      []byte
	expect               int32
	attempt              int32 // the attempts the record must have; -1: any

	applied bool
}

func newTaskUpdate(row taskRow, t *taskq.Task, expect []taskq.TaskStatus) *taskUpdate {
	return &taskUpdate{id: row.id, uid: row.uid, status: string(t.Status), priority: row.priority, runAt: t.RunAt,
		updated: t.Updated, started: row.started, completed: row.completed, deadLetter: row.deadLetter,
		retryCount: int32(t.RetryCount), attempts: int32(t.Attempts), dlqRetryCount: int32(t.DLQRetryCount),
		errJSON: row.errJSON, result: row.result, expect: statusMask(expect), attempt: -1}
}

// queueUpdates adds the task updates of ops (sorted by id) to b as
// multi-row statements. Updates of one task in one batch go in separate
// statements, in the order of ops, since one statement changes a row once.
func queueUpdates(b *pgx.Batch, q *queries, ops []*writeOp) {
	for len(ops) > 0 {
		round, rest := ops[:0:0], ops[:0:0]
		for i, op := range ops {
			if i > 0 && op.upd.id == ops[i-1].upd.id {
				rest = append(rest, op)
				continue
			}
			round = append(round, op)
		}
		queueUpdateStatement(b, q, round)
		ops = rest
	}
}

func queueUpdateStatement(b *pgx.Batch, q *queries, ops []*writeOp) {
	n := len(ops)
	if n == 1 {
		u := ops[0].upd
		b.Queue(q.updateTask, u.uid, u.status, u.priority, u.runAt, u.started, u.completed, u.retryCount,
			u.attempts, u.errJSON, u.result, u.dlqRetryCount, u.deadLetter, u.updated, u.expect, u.attempt,
		).Exec(func(ct pgconn.CommandTag) error {
			u.applied = ct.RowsAffected() == 1
			return nil
		})
		return
	}
	var (
		ids                            = make([][16]byte, n)
		statuses                       = make([]string, n)
		priorities                     = make([]int16, n)
		runAts, updateds               = make([]time.Time, n), make([]time.Time, n)
		starteds, completeds, deadLets = make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
		retries, attempts, dlqRetries  = make([]int32, n), make([]int32, n), make([]int32, n)
		errs, results                  = make([][]byte, n), make([][]byte, n)
		expects, fences                = make([]int32, n), make([]int32, n)
	)
	for i, op := range ops {
		u := op.upd
		ids[i], statuses[i], priorities[i] = u.uid.Bytes, u.status, u.priority
		runAts[i], updateds[i] = u.runAt, u.updated
		starteds[i], completeds[i], deadLets[i] = u.started, u.completed, u.deadLetter
		retries[i], attempts[i], dlqRetries[i] = u.retryCount, u.attempts, u.dlqRetryCount
		errs[i], results[i], expects[i], fences[i] = u.errJSON, u.result, u.expect, u.attempt
	}
	// Slices of these element types have pgx's fast (reflection-free)
	// encoders; FlatArray does the same for the rest.
	b.Queue(q.updateTasks, ids, statuses, priorities, runAts, pgtype.FlatArray[*time.Time](starteds),
		pgtype.FlatArray[*time.Time](completeds), retries, attempts, pgtype.FlatArray[[]byte](errs),
		pgtype.FlatArray[[]byte](results), dlqRetries, pgtype.FlatArray[*time.Time](deadLets), updateds,
		expects, fences,
	).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var ord int64
			if err := rows.Scan(&ord); err != nil {
				return err
			}
			if ord >= 1 && ord <= int64(n) {
				ops[ord-1].upd.applied = true
			}
		}
		return rows.Err()
	})
}
