package taskq

import "time"

// EventKind says how an attempt of a task ended, as told to the
// subscribers of a worker (see worker.Worker.Subscribe).
type EventKind string

// The event kinds.
const (
	// EventCompleted: the handler succeeded and its result is stored.
	EventCompleted EventKind = "completed"
	// EventFailed: the attempt failed and a retry is scheduled (the task
	// is in status failed until it runs again).
	EventFailed EventKind = "failed"
	// EventDeadLettered: the task failed for good and is in the dead
	// letter queue.
	EventDeadLettered EventKind = "dead_lettered"
	// EventCancelled: the task was found cancelled while the worker ran it
	// or recorded its outcome. A task cancelled while it waited in the
	// queue never reaches a worker and gives no event.
	EventCancelled EventKind = "cancelled"
	// EventRescheduled: the task was put back without counting an attempt
	// (snoozed by its handler, an open circuit breaker, the worker
	// shutting down).
	EventRescheduled EventKind = "rescheduled"
)

var eventKinds = [...]EventKind{EventCompleted, EventFailed, EventDeadLettered, EventCancelled, EventRescheduled}

// EventKinds returns every event kind in declaration order, in a new
// slice.
func EventKinds() []EventKind { return append([]EventKind(nil), eventKinds[:]...) }

// Valid reports whether k is one of the known kinds.
func (k EventKind) Valid() bool {
	for _, v := range eventKinds {
		if k == v {
			return true
		}
	}
	return false
}

// String returns the kind's name.
func (k EventKind) String() string { return string(k) }

// Event is the recorded outcome of one attempt of a task.
type Event struct {
	// Kind is how the attempt ended.
	Kind EventKind
	// Task is a copy of the record after the outcome was written (status,
	// result, error, retry count, run time of the retry); the receiver may
	// modify it.
	Task *Task
	// Err is the attempt's error for EventFailed and EventDeadLettered,
	// nil otherwise.
	Err error
	// Time is when the outcome was recorded.
	Time time.Time
}
