package postgres

import (
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/taskq/taskq"
)

// insertTasksSQL stores many CreateTask calls in one statement: row i of
// the arrays is one new task, skipped when its id or (owner, idempotency
// key) exists, also when an earlier row of the same statement holds it.
// RETURNING names the rows stored.
var insertTasksSQL = insertTasksBase + `
	RETURNING id`

// insertTasksBase is insertTasksSQL without its RETURNING clause.
var insertTasksBase = `INSERT INTO {schema}.tasks (` + taskColumns + `)
	SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int2[], $5::text[], $6::timestamptz[],
		$7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::int4[], $11::int4[], $12::jsonb[],
		$13::jsonb[], $14::jsonb[], $15::text[], $16::timestamptz[], $17::timestamptz[], $18::int8[],
		$19::int4[], $20::int4[], $21::timestamptz[], $22::text[], $23::text[], $24::jsonb[])
	ON CONFLICT DO NOTHING`

// insertTaskSQL stores one task (a batch with one CreateTask call): the
// same as insertTasksSQL for one row, planned and run a little faster.
var insertTaskSQL = `INSERT INTO {schema}.tasks (` + taskColumns + `) VALUES (` + placeholders(len(insertColumns)) + `)
	ON CONFLICT DO NOTHING`

func placeholders(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteString("$")
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

// taskInsert is one CreateTask call (the encoded task and a copy of the
// caller's, which may change it once the call returns) and whether the
// batch stored it.
type taskInsert struct {
	row      taskRow
	t        taskq.Task
	inserted bool
}

// queueInserts adds the inserts of ops (sorted by id) to b as one
// statement. Of several calls with one id only the first is stored, as if
// they had run one after another.
func queueInserts(b *pgx.Batch, q *queries, ops []*writeOp) {
	switch len(ops) {
	case 0:
		return
	case 1:
		in := ops[0].ins
		b.Queue(q.insertTask, in.row.insertValues(&in.t)...).Exec(func(ct pgconn.CommandTag) error {
			in.inserted = ct.RowsAffected() == 1
			return nil
		})
		return
	}
	n := len(ops)
	var (
		ids                        = make([][16]byte, n)
		types, statuses, descs     = make([]string, n), make([]string, n), make([]string, n)
		queues, owners, keys       = make([]string, n), make([]string, n), make([]string, n)
		priorities                 = make([]int16, n)
		createds, updateds, runAts = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		completeds, deadlines      = make([]*time.Time, n), make([]*time.Time, n)
		starteds, deadLets         = make([]*time.Time, n), make([]*time.Time, n)
		retries, maxRetries        = make([]int32, n), make([]int32, n)
		attempts, dlqRetries       = make([]int32, n), make([]int32, n)
		timeouts                   = make([]int64, n)
		errs, results, metadatas   = make([][]byte, n), make([][]byte, n), make([][]byte, n)
		traces                     = make([][]byte, n)
		byID                       = make(map[[16]byte]*taskInsert, n)
	)
	for i, op := range ops {
		r, t := op.ins.row, &op.ins.t
		ids[i], types[i], statuses[i], descs[i] = r.uid.Bytes, t.Type, string(t.Status), t.Description
		queues[i], owners[i], keys[i], priorities[i] = t.Queue, t.Owner, t.IdempotencyKey, r.priority
		createds[i], updateds[i], runAts[i] = t.Created, t.Updated, t.RunAt
		completeds[i], deadlines[i], starteds[i], deadLets[i] = r.completed, r.deadline, r.started, r.deadLetter
		retries[i], maxRetries[i] = int32(t.RetryCount), int32(t.MaxRetries)
		attempts[i], dlqRetries[i], timeouts[i] = int32(t.Attempts), int32(t.DLQRetryCount), r.timeoutMS
		errs[i], results[i], metadatas[i], traces[i] = r.errJSON, r.result, r.metadata, r.traceContext
		if byID[r.uid.Bytes] == nil {
			byID[r.uid.Bytes] = op.ins
		}
	}
	b.Queue(q.insertTasks, ids, types, statuses, priorities, descs, createds, updateds,
		pgtype.FlatArray[*time.Time](completeds), pgtype.FlatArray[*time.Time](deadlines), retries, maxRetries,
		pgtype.FlatArray[[]byte](errs), pgtype.FlatArray[[]byte](results), pgtype.FlatArray[[]byte](metadatas),
		queues, runAts, pgtype.FlatArray[*time.Time](starteds), timeouts, attempts, dlqRetries,
		pgtype.FlatArray[*time.Time](deadLets), owners, keys, pgtype.FlatArray[[]byte](traces),
	).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id pgtype.UUID
			if err := rows.Scan(&id); err != nil {
				return err
			}
			if in := byID[id.Bytes]; in != nil {
				in.inserted = true
			}
		}
		return rows.Err()
	})
}
