package breaker

import (
	"errors"
	"time"

	"github.com/taskq/taskq"
)

// Allow reports whether calls to the named breaker are permitted now and,
// if not, how long until they may be. With OpenError it makes a Registry
// the worker's Breakers (worker.Config.Breakers).
func (r *Registry) Allow(name string) (bool, time.Duration) {
	b := r.Get(name)
	if b.Allow() {
		return true, 0
	}
	return false, b.RemainingDelay()
}

// OpenError reports whether err says a breaker rejected the call because
// it was open, and how long to wait before trying again.
func (r *Registry) OpenError(err error) (time.Duration, bool) {
	if !errors.Is(err, ErrOpen) {
		return 0, false
	}
	var te *taskq.Error
	if errors.As(err, &te) && te.RetryAfter > 0 {
		return te.RetryAfter, true
	}
	return r.def.Delay, true
}
