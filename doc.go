// Package taskq is a library-first background task engine.
//
// The root package holds the vocabulary shared by every part of the engine:
// the [Task] record, its [TaskStatus] and [TaskPriority], the error model
// ([Error], [ErrorCode], [ErrorRecoveryStrategy]), the [DeadLetterQueueConfig],
// and the interfaces implemented by the backends and components:
// [Queue] (dispatch state), [StorageAdapter] (the durable truth),
// [Worker] and [DeadLetterQueue]. The [Client] enqueues and cancels tasks.
//
// # Who holds the truth
//
// A [StorageAdapter] is the source of truth for task records. A [Queue] only
// holds dispatch state: which task ids are ready, scheduled or leased.
// Enqueue writes the record first, then pushes the id; completion writes the
// result first, then acknowledges the lease. Queue operations are idempotent
// by task id, so a crash between the two steps loses nothing: a reconciler
// re-pushes pending records missing from the queue, and a worker that leases
// an id whose record is already terminal acknowledges and skips it.
//
// # Backends
//
// In-memory backends live in packages queue and storage; Redis lives in
// queue/redisqueue and PostgreSQL in storage/postgres. The conformance
// suites queue/queuetest and storage/storagetest run against all of them.
//
// # Delivery
//
// Delivery is at-least-once: handlers receive the task with its id and
// attempt number so that they can be idempotent.
package taskq
