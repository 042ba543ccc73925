package taskq

import (
	"context"
	"time"
)

// QueueEntry is what a Queue knows of a task: its id, priority and when it
// becomes ready.
type QueueEntry struct {
	// ID is the task id.
	ID string
	// Priority selects the ready list.
	Priority TaskPriority
	// RunAt is when the task becomes ready; zero or past means now.
	RunAt time.Time
}

// Lease is a task id handed to one consumer until Deadline.
type Lease struct {
	// ID is the task id.
	ID string
	// Priority is the task's priority.
	Priority TaskPriority
	// Deadline is when the lease expires unless extended.
	Deadline time.Time
}

// LeaseParams selects what Lease takes.
type LeaseParams struct {
	// Queue is the queue name.
	Queue string
	// Max is the most leases to return; at least 1.
	Max int
	// TTL is the lease duration.
	TTL time.Duration
	// Weights, when non-nil, switches from strict priority order to a
	// weighted choice: Weights[p] is the share of priority p (indexed by
	// TaskPriority). Nil means strict: CRITICAL before HIGH before MEDIUM
	// before LOW, FIFO inside a priority.
	Weights []int
	// Now fixes the current time (tests); zero means time.Now().
	Now time.Time
}

// QueueStats counts a queue's entries.
type QueueStats struct {
	// Ready counts ready entries by priority (indexed by TaskPriority).
	Ready [NumPriorities]int64
	// Scheduled counts entries waiting for their run time.
	Scheduled int64
	// Leased counts entries held by consumers.
	Leased int64
}

// Total is Ready + Scheduled + Leased.
func (s QueueStats) Total() int64 {
	n := s.Scheduled + s.Leased
	for _, r := range s.Ready {
		n += r
	}
	return n
}

// Queue holds dispatch state: which task ids are ready (by priority, FIFO),
// scheduled for later, or leased to a consumer until a deadline. It holds no
// task records. Implementations are safe for concurrent use, and every
// method is atomic with respect to the others.
//
// All operations are idempotent by task id: enqueueing an id already present
// (ready, scheduled or leased) changes nothing; acknowledging or removing an
// absent id is not an error.
type Queue interface {
	// Enqueue adds entries to queue: ready now, or scheduled when RunAt is
	// in the future. Ids already present are left untouched.
	Enqueue(ctx context.Context, queue string, entries ...QueueEntry) error
	// Lease promotes due scheduled entries, then takes up to p.Max ready
	// entries in priority order and leases them until now+p.TTL. It returns
	// an empty slice, not an error, when nothing is ready. Two consumers
	// never hold a lease on the same id at once.
	Lease(ctx context.Context, p LeaseParams) ([]Lease, error)
	// Extend moves the deadline of the given leased ids to now+ttl. It
	// returns the ids that are no longer leased (acknowledged, removed by a
	// cancellation, or reaped after expiry): their holder must stop.
	Extend(ctx context.Context, queue string, ids []string, ttl time.Duration) (lost []string, err error)
	// Ack removes leased ids for good (the task is done or dead).
	Ack(ctx context.Context, queue string, ids ...string) error
	// Requeue moves a leased id back: ready at once when runAt is not in
	// the future, scheduled otherwise, keeping its priority. An id that is
	// not leased is enqueued with the given priority (idempotent).
	Requeue(ctx context.Context, queue string, e QueueEntry) error
	// Remove deletes ids wherever they are (ready, scheduled or leased). A
	// leased id removed this way is reported lost by the holder's next
	// Extend, which is how cancellation reaches a running handler.
	Remove(ctx context.Context, queue string, ids ...string) error
	// Reap takes up to max leases whose deadline passed and leases them
	// again to the caller until now+ttl, so the caller can record the lost
	// attempt. A crash of the caller lets them expire again.
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

// EnqueueCounter is an optional Queue capability: Enqueue that reports how
// many ids it added (ids already present are not counted). The worker's
// reconciler uses it to count the records it recovered.
type EnqueueCounter interface {
	// EnqueueNew is Enqueue returning the number of ids added.
	EnqueueNew(ctx context.Context, queue string, entries ...QueueEntry) (added int, err error)
}
