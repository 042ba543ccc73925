package periodic

import "time"

// Observer receives the scheduler's events per schedule; package metrics
// implements it. Methods must be quick and safe for concurrent use.
type Observer interface {
	// PeriodicRun reports that the task of schedule for tick exists: this
	// replica enqueued it, or found it enqueued already.
	PeriodicRun(schedule string, tick time.Time)
	// PeriodicNext reports the next tick of schedule.
	PeriodicNext(schedule string, next time.Time)
	// PeriodicFailure reports a failed attempt to enqueue a tick of
	// schedule (it is retried while the tick is within the grace period).
	PeriodicFailure(schedule string)
}

type nopObserver struct{}

func (nopObserver) PeriodicRun(string, time.Time)  {}
func (nopObserver) PeriodicNext(string, time.Time) {}
func (nopObserver) PeriodicFailure(string)         {}
