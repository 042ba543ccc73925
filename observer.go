package taskq

import "time"

// Outcome is how one attempt of a task ended.
type Outcome string

// The outcomes reported to an Observer.
const (
	// OutcomeCompleted: the handler succeeded.
	OutcomeCompleted Outcome = "completed"
	// OutcomeRetry: the attempt failed and a retry is scheduled.
	OutcomeRetry Outcome = "failed"
	// OutcomeDeadLetter: the task failed for good and went to the DLQ.
	OutcomeDeadLetter Outcome = "dead_letter"
	// OutcomeCancelled: the task was cancelled while running.
	OutcomeCancelled Outcome = "cancelled"
	// OutcomeRescheduled: the task was put back without counting an attempt
	// (shutdown, open circuit breaker, snooze).
	OutcomeRescheduled Outcome = "rescheduled"
)

// Recovery reasons reported to an Observer.
const (
	// RecoveredLeaseExpired: a lease of a lost worker was reaped.
	RecoveredLeaseExpired = "lease_expired"
	// RecoveredReconciled: a pending record missing from the queue was
	// pushed again.
	RecoveredReconciled = "reconciled"
)

// Observer receives engine events; the metrics package implements it. Calls
// are made synchronously on hot paths, so implementations must be fast and
// safe for concurrent use.
type Observer interface {
	// TaskFinished reports the end of one attempt of a task of taskType.
	TaskFinished(taskType string, outcome Outcome, duration time.Duration)
	// TaskRecovered reports a task brought back by the reaper or the
	// reconciler.
	TaskRecovered(reason string)
	// DeadLetterMoved reports a task moved to the DLQ and how many entries
	// the size cap evicted.
	DeadLetterMoved(evicted int)
	// DeadLetterCleanup reports one cleanup run.
	DeadLetterCleanup(cleaned, remaining int, duration time.Duration, err error)
	// TaskOrphaned reports a leased task id of queue that has no record in
	// the storage: its lease is acknowledged and dropped. It usually means
	// two deployments share one queue (key prefix).
	TaskOrphaned(queue string)
	// TaskUnhandled reports a task of taskType put back because no handler
	// of its type is registered on this worker (see worker.Config
	// UnhandledGrace).
	TaskUnhandled(taskType string)
}

// NopObserver ignores every event.
type NopObserver struct{}

// TaskFinished implements Observer.
func (NopObserver) TaskFinished(string, Outcome, time.Duration) {}

// TaskRecovered implements Observer.
func (NopObserver) TaskRecovered(string) {}

// DeadLetterMoved implements Observer.
func (NopObserver) DeadLetterMoved(int) {}

// DeadLetterCleanup implements Observer.
func (NopObserver) DeadLetterCleanup(int, int, time.Duration, error) {}

// TaskOrphaned implements Observer.
func (NopObserver) TaskOrphaned(string) {}

// TaskUnhandled implements Observer.
func (NopObserver) TaskUnhandled(string) {}

// StartObserver is an optional interface of an Observer: it learns how
// long each task waited, from the time it was due to run (its RunAt: its
// creation for a task to run at once, the retry time for a retry) to its
// handler starting. A backlog, or an owner's burst that others wait
// behind, shows there first.
type StartObserver interface {
	// TaskStarted reports a handler starting a task of queue that had
	// been due for wait.
	TaskStarted(queue string, wait time.Duration)
}
