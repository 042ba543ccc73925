package alert

import (
	"time"

	"github.com/taskq/taskq/internal/names"
)

// Kind names what an event reports. It is sent in the X-Taskq-Event header
// and the "kind" field.
type Kind string

// The kinds of events the Notifier sends.
const (
	// KindDLQSizeExceeded: the DLQ holds more than DLQSizeThreshold
	// entries. Data: size, threshold.
	KindDLQSizeExceeded Kind = "dlq.size_exceeded"
	// KindTaskDeadLettered: a task moved to the DLQ. Data: task_id,
	// task_type, queue, priority, attempts, error_code, error_message,
	// suppressed.
	KindTaskDeadLettered Kind = "task.dead_lettered"
	// KindBreakerOpened: a circuit breaker opened. Data: breaker, from, to.
	KindBreakerOpened Kind = "breaker.opened"
	// KindBreakerClosed: a circuit breaker closed. Data: breaker, from, to.
	KindBreakerClosed Kind = "breaker.closed"
	// KindBreakerHalfOpen: a circuit breaker half-opened to try calls.
	// Data: breaker, from, to.
	KindBreakerHalfOpen Kind = "breaker.half_open"
)

// maxKindLength bounds a kind, which travels in a header.
const maxKindLength = 64

// valid reports whether k can be sent: 1-64 letters, digits and ._:-/.
func (k Kind) valid() bool { return names.Valid(string(k), maxKindLength) }

// Event is one alert. Its JSON form is the body of every delivery:
//
//	{"id":"0190…","kind":"task.dead_lettered","time":"2025-01-02T03:04:05.123Z","data":{…}}
type Event struct {
	// ID identifies the event; every delivery of it carries the same id,
	// so receivers can drop duplicates. Emit assigns one when empty.
	ID string `json:"id"`
	// Kind says what happened.
	Kind Kind `json:"kind"`
	// Time is when it happened, in UTC. Emit sets it when zero.
	Time time.Time `json:"time"`
	// Data holds the kind's fields; values must encode as JSON.
	Data map[string]any `json:"data"`
}
