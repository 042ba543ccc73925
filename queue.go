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
	// Type is the task type, which Lease needs to enforce the caps of
	// LeaseParams.Limits by type; empty entries are capped by queue only.
	// A Requeue of a held lease keeps the type recorded at enqueue.
	Type string
	// Owner is the principal the task belongs to (Task.Owner). Inside a
	// priority, ready entries are shared fairly between owners: each entry
	// gets a round when it becomes ready, the current round if its owner
	// has nothing else ready, the round after its owner's latest ready
	// entry otherwise, and entries are leased in round order. A burst of
	// one owner's entries therefore takes one entry per round, and another
	// owner's new entry waits for at most one entry of each owner with
	// ready entries. Entries without an owner share the empty owner. A
	// Requeue of a held lease keeps the owner recorded at enqueue.
	Owner string
	// Token, for Requeue only, is the token of the lease given back: the
	// requeue then happens only if that lease is still held. Zero: any.
	Token int64
}

// Lease is a task id handed to one consumer until Deadline.
type Lease struct {
	// ID is the task id.
	ID string
	// Priority is the task's priority.
	Priority TaskPriority
	// Deadline is when the lease expires unless extended.
	Deadline time.Time
	// Token fences the lease: it differs from the token of every other
	// lease of the queue (earlier or later leases of the same id included).
	// Extend, Ack and Requeue act on a lease only when given its token.
	Token int64
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
	// before LOW, and inside a priority in rounds shared fairly between
	// owners (see QueueEntry.Owner; FIFO for one owner).
	Weights []int
	// Now fixes the current time (tests); zero means time.Now().
	Now time.Time
	// Limits, when set, caps the leases of the queue and of task types
	// (see Limits): entries over a cap are left ready in place.
	Limits *Limits
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

// EnqueueCounter is an optional Queue capability: Enqueue that reports how
// many ids it added (ids already present are not counted). The worker's
// reconciler uses it to count the records it recovered.
type EnqueueCounter interface {
	// EnqueueNew is Enqueue returning the number of ids added.
	EnqueueNew(ctx context.Context, queue string, entries ...QueueEntry) (added int, err error)
}
