// Package postgres is the PostgreSQL implementation of taskq.StorageAdapter
// and taskq.KeyStore, on github.com/jackc/pgx/v5 (pgxpool).
//
// Open (or New, over a pool you own) applies the embedded migrations under
// a PostgreSQL advisory lock, so replicas starting together are safe. State
// changes are conditional UPDATEs, so a late or duplicate worker can never
// move a task backwards. The hot path (CreateTask, UpdateTask, StartTasks)
// goes through a group-commit writer: calls that arrive while a previous
// batch is in flight are sent together as one pipelined batch in one
// transaction, each statement keeping its own precondition and result.
// Nothing is acknowledged before its transaction has committed.
//
// Errors are mapped to taskq errors (not found, conflict, duplicate,
// service unavailable); driver errors are kept only as the wrapped cause and
// SQL text never reaches a message.
package postgres
