// Package postgres is the PostgreSQL implementation of taskq.StorageAdapter
// and taskq.StorageIdentity, on github.com/jackc/pgx/v5 (pgxpool), and of
// taskq.Queue ([Queue]), so that taskq can run on PostgreSQL alone.
//
// Every object of the store lives in one schema, Config.Schema (default
// "taskq"), created if missing; statements name it explicitly, so the
// host application's search_path and tables are left alone, and stores with
// different schemas in one database are independent. Open (or New, over a
// pool you own) applies the embedded migrations there under a PostgreSQL
// advisory lock, so replicas starting together are safe. State
// changes are conditional UPDATEs, so a late or duplicate worker can never
// move a task backwards. The hot path (CreateTask, UpdateTask, StartTasks)
// goes through a group-commit writer: calls that arrive while a previous
// batch is in flight are sent together as one pipelined batch in one
// transaction (concurrent creates as one multi-row INSERT, concurrent
// updates as one multi-row UPDATE), each call keeping its own precondition
// and result; StartTasks, which holds a worker's handler slots, has a batch
// in flight of its own. Nothing is acknowledged before its transaction has
// committed. The schema keeps pending -> running a HOT update and indexes
// no completed task by status (see migrations/0001_init.sql).
//
// [Queue] keeps dispatch state in the table queue_entries of the same
// schema ([Store.Queue] shares the store's pool; [NewQueue] works over any
// pool). Lease takes a batch in one statement (FOR UPDATE SKIP LOCKED),
// in strict or weighted priority order, and inside a priority in rounds
// shared fairly between owners (FIFO for one owner); run times
// and lease deadlines follow the database clock. Wait listens for
// NOTIFY on a connection of its own, so an idle worker sees a new entry
// from any process within a round trip. With [Config.Dispatch] the store
// writes the queue entry of a task in the same statement as its record
// (added on creation, removed on completion, cancellation or the DLQ), so
// no crash can leave a pending task undispatched or a cancelled one
// leased.
//
// [TxEnqueuer] creates tasks inside the caller's own pgx.Tx (transactional
// enqueue): a task exists if and only if the transaction commits. With
// Config.Dispatch the transaction writes the task's queue entry too;
// otherwise it writes a row of the schema's outbox, and a [Relay] (every
// worker runs one, see taskq.OutboxRelay) pushes the task to the queue
// (Redis, for example) when notified of the commit, and sweeps the outbox
// so that a process killed between a commit and its push loses nothing.
//
// Errors are mapped to taskq errors (not found, conflict, duplicate,
// service unavailable); driver errors are kept only as the wrapped cause and
// SQL text never reaches a message.
package postgres
