// Package taskq is a library-first background task engine.
//
// The root package holds the vocabulary shared by every part of the engine:
// the [Task] record, its [TaskStatus] and [TaskPriority], the error model
// ([Error], [ErrorCode], [Permanent], [RetryAfter], [Snooze]), the
// [DeadLetterQueueConfig],
// and the interfaces implemented by the backends and components:
// [Queue] (dispatch state), [StorageAdapter] (the durable truth),
// [Worker] and [DeadLetterQueue]. The [Client] enqueues and cancels tasks.
//
// # Who holds the truth
//
// A [StorageAdapter] is the source of truth for task records. A [Queue] only
// holds dispatch state: which task ids are ready, scheduled or leased.
// Enqueue writes the record first, then pushes the id (before it returns, or
// right after with [ClientConfig].BackgroundPush); completion writes the
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
// attempt number so that they can be idempotent. Delivery is fenced: queue
// leases carry tokens ([Lease].Token) and outcome writes name their attempt
// ([StorageAdapter].UpdateAttempt), so an attempt whose lease was lost
// never overwrites a newer one.
package taskq

import (
	"context"
	"time"
)

// Queue holds dispatch state: which task ids are ready (by priority, then
// shared fairly between owners, FIFO for one owner), scheduled for later,
// or leased to a consumer until a deadline. It holds no task records. Implementations are safe for concurrent use, and every
// method is atomic with respect to the others.
//
// All operations are idempotent by task id: enqueueing an id already present
// (ready, scheduled or leased) changes nothing; acknowledging or removing an
// absent id is not an error.
//
// Leases are fenced: every lease (Lease or Reap) gets a token that no other
// lease of the queue ever had, and Extend, Ack and Requeue act only on the
// lease whose token they are given. A holder cut off from the backend whose
// lease was reaped meanwhile can therefore neither extend, acknowledge nor
// requeue the lease of the attempt that replaced it. A zero token matches
// any lease of the id (tools that hold no lease).
type Queue interface {
	// Enqueue adds entries to queue: ready now, or scheduled when RunAt is
	// in the future. Ids already present are left untouched.
	Enqueue(ctx context.Context, queue string, entries ...QueueEntry) error
	// Lease promotes due scheduled entries, then takes up to p.Max ready
	// entries in priority order and leases them until now+p.TTL. It returns
	// an empty slice, not an error, when nothing is ready. Two consumers
	// never hold a lease on the same id at once.
	Lease(ctx context.Context, p LeaseParams) ([]Lease, error)
	// Extend moves the deadline of the given leases to now+ttl. It returns
	// the leases that are no longer held (acknowledged, removed by a
	// cancellation, or reaped after expiry and leased again under another
	// token): their holder must stop.
	Extend(ctx context.Context, queue string, leases []Lease, ttl time.Duration) (lost []Lease, err error)
	// Ack removes the given leases for good (the task is done or dead). A
	// lease whose token no longer matches (reaped and leased again) is left
	// alone.
	Ack(ctx context.Context, queue string, leases ...Lease) error
	// Requeue moves a leased id back: ready at once when runAt is not in
	// the future, scheduled otherwise, keeping its priority. With e.Token
	// set it acts only on the lease with that token, and does nothing
	// otherwise (the caller's lease was lost). With e.Token zero an id that
	// is not leased is enqueued with the given priority (idempotent).
	Requeue(ctx context.Context, queue string, e QueueEntry) error
	// Remove deletes ids wherever they are (ready, scheduled or leased). A
	// leased id removed this way is reported lost by the holder's next
	// Extend, which is how cancellation reaches a running handler.
	Remove(ctx context.Context, queue string, ids ...string) error
	// Reap takes up to max leases whose deadline passed and leases them
	// again to the caller until now+ttl, under new tokens, so the caller
	// can record the lost attempt; the expired holder's token no longer
	// matches anything. A crash of the caller lets them expire again.
	Reap(ctx context.Context, queue string, max int, ttl time.Duration) ([]Lease, error)
	// Wait blocks until entries may be ready in queue (an enqueue, a
	// requeue, a scheduled entry coming due), ctx ends, or max elapses. It
	// may return early; callers then Lease and find out.
	Wait(ctx context.Context, queue string, max time.Duration) error
	// Stats counts the entries of queue.
	Stats(ctx context.Context, queue string) (QueueStats, error)
	// Queues lists the names of queues that have ever held entries.
	Queues(ctx context.Context) ([]string, error)
	// Ping checks that the backend answers.
	Ping(ctx context.Context) error
	// Close releases resources; the Queue must not be used afterwards.
	Close() error
}

// StorageAdapter is the durable truth for task records. Implementations are
// safe for concurrent use; returned tasks are copies the caller may modify.
// Missing records give an error matching ErrNotFound; failed preconditions
// one matching ErrConflict; an unreachable backend one matching
// ErrUnavailable. Driver errors never leak through.
type StorageAdapter interface {
	// CreateTask stores a new record. When t.IdempotencyKey is set and a
	// task with the same (Owner, IdempotencyKey) exists, or the id exists,
	// it stores nothing and returns the existing task with an error
	// matching ErrDuplicate (code conflict). Otherwise, when t.UniqueKey
	// is set and the last task created with that key is in one of its
	// UniqueStates, it stores nothing and returns that task with an error
	// matching ErrUniqueExists (see NewUniqueError); checking and storing
	// are one atomic step. Records read back do not carry UniqueKey.
	CreateTask(ctx context.Context, t *Task) (*Task, error)
	// CreateTasks stores many new records in one step, all or nothing: a
	// duplicate id or idempotency key fails the whole batch with an error
	// matching ErrDuplicate, a held unique key (or one key on two tasks of
	// the batch) with one matching ErrUniqueExists.
	CreateTasks(ctx context.Context, ts []*Task) error
	// GetTask returns the record, or ErrNotFound.
	GetTask(ctx context.Context, id string) (*Task, error)
	// UpdateTask overwrites the mutable fields of the record t.ID (status,
	// priority, run_at, started_at, completed_at, retry_count, attempts,
	// error, result, dlq_retry_count, dead_lettered_at, updated) if its
	// current status is one of expect (any status when expect is empty).
	// It returns ErrNotFound for a missing record and ErrConflict when the
	// precondition fails, so a late worker cannot move a task backwards.
	UpdateTask(ctx context.Context, t *Task, expect ...TaskStatus) error
	// UpdateAttempt records the outcome of attempt number attempt: it
	// overwrites the mutable fields of record t.ID as UpdateTask does, but
	// only while the record is running that attempt (status running and
	// attempts equal to attempt). Otherwise it changes nothing and returns
	// ErrConflict (ErrNotFound for a missing record), so an attempt whose
	// lease was lost never overwrites a newer attempt's record.
	UpdateAttempt(ctx context.Context, t *Task, attempt int) error
	// StartTasks marks the startable records among ids (status pending,
	// failed or running) as running at now, increments their attempts, and
	// returns them. Missing and terminal records are left out.
	StartTasks(ctx context.Context, ids []string, now time.Time) ([]*Task, error)
	// ListTasks lists tasks newest first with keyset pagination: a listing
	// continued by cursor never repeats or skips a task that existed when it
	// began, whatever is inserted meanwhile.
	ListTasks(ctx context.Context, f TaskFilter) (TaskPage, error)
	// DeleteTask removes a record for good.
	DeleteTask(ctx context.Context, id string) error

	// GetDeadLetterTasks lists dead letter entries, oldest entry first.
	GetDeadLetterTasks(ctx context.Context, f DeadLetterFilter) (TaskPage, error)
	// GetDeadLetterTask returns a task in the DLQ, or ErrNotFound when the
	// task is missing or not in the DLQ.
	GetDeadLetterTask(ctx context.Context, id string) (*Task, error)
	// MoveTaskToDeadLetter stores t (with its error) as dead_letter, entered
	// at t.DeadLetteredAt (now when nil), unless the record is already
	// terminal or is running another attempt than t.Attempts (ErrConflict):
	// a running record belongs to the attempt that started it. When
	// maxSize > 0 and the DLQ would exceed it, entries are purged in the
	// same step, each the oldest entry of the owner holding the most (never
	// t): one owner filling the DLQ evicts its own entries. Their number is
	// returned.
	MoveTaskToDeadLetter(ctx context.Context, t *Task, maxSize int) (evicted int, err error)
	// RemoveFromDeadLetter purges a DLQ entry, or returns ErrNotFound.
	RemoveFromDeadLetter(ctx context.Context, id string) error
	// CleanupDeadLetterTasks purges entries that entered the DLQ before
	// threshold and returns how many.
	CleanupDeadLetterTasks(ctx context.Context, threshold time.Time) (int, error)
	// CountDeadLetterTasks returns the DLQ size.
	CountDeadLetterTasks(ctx context.Context) (int, error)

	// Ping checks that the backend answers.
	Ping(ctx context.Context) error
	// Close releases resources.
	Close() error
}

// Worker runs handlers for leased tasks.
type Worker interface {
	// Handle registers the handler of a task type.
	Handle(taskType string, h Handler)
	// Start begins leasing and returns once running.
	Start(ctx context.Context) error
	// Stop stops leasing, waits for running handlers and, if ctx ends
	// first, cancels them and gives their tasks back; nothing is lost.
	Stop(ctx context.Context) error
	// Stopped is closed once the worker has stopped.
	Stopped() <-chan struct{}
}

// DeadLetterQueue holds tasks that failed for good.
type DeadLetterQueue interface {
	// Move puts a task in the DLQ with its final error, evicting beyond
	// the size cap the oldest entries of the owner holding the most.
	Move(ctx context.Context, t *Task, cause error) error
	// List lists entries, oldest first.
	List(ctx context.Context, f DeadLetterFilter) (TaskPage, error)
	// Get returns an entry, or ErrNotFound.
	Get(ctx context.Context, id string) (*Task, error)
	// Retry sends an entry back to pending with retry_count 0 after the DLQ
	// backoff; past the retry limit it fails with ErrConflict.
	Retry(ctx context.Context, id string) (*Task, error)
	// Remove purges an entry, or returns ErrNotFound.
	Remove(ctx context.Context, id string) error
	// Cleanup purges entries older than olderThan.
	Cleanup(ctx context.Context, olderThan time.Time) (CleanupResult, error)
	// Size returns the number of entries.
	Size(ctx context.Context) (int, error)
}
