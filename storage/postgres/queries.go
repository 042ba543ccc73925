package postgres

import "github.com/taskq/taskq/internal/pgschema"

// queries holds a store's statements with its schema filled in: the SQL
// templates of this package name tables as {schema}.tasks, and every
// statement addresses the schema explicitly instead of relying on the
// search_path of the pool (which belongs to the host application).
type queries struct {
	schema string // unquoted
	tasks  string // quoted, schema-qualified tasks table

	getTask, getByIdempotencyKey, status, startTasks, deleteTask string
	insertTasks, insertTask, updateTasks, updateTask             string
	moveToDLQ, evictDLQ, getDLQTask, removeDLQTask               string
	cleanupDLQ, countDLQ, dlqExcess, ownerUsage                  string
	insertStorageID, getStorageID                                string

	// dispatch is set when the task statements keep queue entries (see
	// useDispatch); deleteEntryOfTask and entriesOfCopied are set then.
	dispatch                           bool
	deleteEntryOfTask, entriesOfCopied string

	// ident is the quoted schema.
	ident string

	// dlqLock is the pg_advisory_xact_lock key that serializes moves into
	// the DLQ of this schema.
	dlqLock int64
}

func newQueries(schema string) *queries {
	ident := pgschema.Ident(schema)
	x := func(sql string) string { return pgschema.Expand(sql, ident) }
	return &queries{
		schema: schema, ident: ident, tasks: x("{schema}.tasks"),
		getTask: x(getTaskSQL), getByIdempotencyKey: x(getByIdempotencyKeySQL), status: x(statusSQL),
		startTasks: x(startTasksSQL), deleteTask: x(deleteTaskSQL),
		insertTasks: x(insertTasksSQL), insertTask: x(insertTaskSQL),
		updateTasks: x(updateTasksSQL), updateTask: x(updateTaskSQL),
		moveToDLQ: x(moveToDLQSQL), evictDLQ: x(evictDLQSQL), getDLQTask: x(getDLQTaskSQL),
		removeDLQTask: x(removeDLQTaskSQL), cleanupDLQ: x(cleanupDLQSQL), countDLQ: x(countDLQSQL),
		dlqExcess: x(dlqExcessSQL), ownerUsage: x(ownerUsageSQL),
		insertStorageID: x(insertStorageIDSQL), getStorageID: x(getStorageIDSQL),
		dlqLock: pgschema.LockKey(schema, "dlq"),
	}
}

// expand fills the schema into an SQL template.
func (q *queries) expand(sql string) string { return pgschema.Expand(sql, q.ident) }
