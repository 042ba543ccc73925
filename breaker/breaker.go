package breaker

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/taskq/taskq"
)

// ErrOpen is failsafe's circuitbreaker.ErrOpen. Every error that Do returns
// for a rejected call matches it with errors.Is.
var ErrOpen = circuitbreaker.ErrOpen

// Breaker is one named circuit breaker. Get it from a Registry. It is safe
// for concurrent use.
//
// The move from open to half-open happens lazily, as in failsafe: once the
// delay has passed, State still reports Open until the next call through
// Do, which half-opens the breaker and becomes its trial. Allow and
// RemainingDelay already tell that a call would be let through.
type Breaker struct {
	name string
	cfg  Config
	cb   circuitbreaker.CircuitBreaker[any]

	trips atomic.Uint64

	// trialMu guards the count of half-open trials in flight. trialGen is
	// the trip count of the half-open period they belong to, so trials
	// left over from an earlier period are not counted.
	trialMu  sync.Mutex
	trialGen uint64
	trials   int
}

// Name returns the breaker's name.
func (b *Breaker) Name() string { return b.name }

// Config returns the breaker's configuration, defaults filled.
func (b *Breaker) Config() Config { return b.cfg }

// State returns the current state.
func (b *Breaker) State() State { return stateOf(b.cb.State()) }

// Trips returns how many times the breaker has opened, from closed or from
// half-open.
func (b *Breaker) Trips() uint64 { return b.trips.Load() }

// Allow reports whether a call made now would be let through, without
// making one and without taking a half-open trial: true when closed, when
// open with its delay passed, and when half-open with a trial left. It is
// advice for schedulers; Do decides, so a call may still be rejected when
// others took the trials first.
func (b *Breaker) Allow() bool {
	switch b.State() {
	case Open:
		return b.cb.RemainingDelay() == 0
	case HalfOpen:
		return b.trialsInFlight() < b.cfg.HalfOpenTrials
	}
	return true
}

// RemainingDelay returns how long to wait before a call may be let through:
// while open, the rest of its delay; while half-open with every trial in
// flight, a tenth of Delay (at least 1ms), since the trials' outcome is not
// yet known; 0 whenever Allow would report true.
func (b *Breaker) RemainingDelay() time.Duration {
	switch b.State() {
	case Open:
		return b.cb.RemainingDelay()
	case HalfOpen:
		if b.trialsInFlight() >= b.cfg.HalfOpenTrials {
			return b.cfg.halfOpenWait()
		}
	}
	return 0
}

// Do calls fn through the breaker. When the breaker rejects the call, fn is
// not called and Do returns a *taskq.Error with code service_unavailable,
// Retryable set and RetryAfter the wait before a call may be let through
// (always positive); it matches ErrOpen and taskq.ErrUnavailable with
// errors.Is. Otherwise Do returns fn's error unchanged, after recording it
// as a failure if Config.IsFailure says so and as a success otherwise. A
// panic in fn is recorded as a failure and goes on. When ctx is already
// done, Do returns ctx.Err() without calling fn or counting anything.
func (b *Breaker) Do(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !b.cb.TryAcquirePermit() {
		return b.openError()
	}
	gen, trial := b.beginTrial()
	done := false
	defer func() {
		if !done { // fn panicked: release the permit, or a half-open breaker would wedge
			b.record(gen, trial, true)
		}
	}()
	err = fn(ctx)
	done = true
	b.record(gen, trial, err != nil && b.cfg.IsFailure(err))
	return err
}

// openError builds the error of a rejected call.
func (b *Breaker) openError() error {
	wait := b.RemainingDelay()
	if wait <= 0 {
		// The delay passed or the breaker half-opened between the permit
		// check and now: another call holds the trial.
		wait = b.cfg.halfOpenWait()
	}
	return &taskq.Error{
		Code:       taskq.CodeServiceUnavailable,
		Message:    fmt.Sprintf("circuit breaker %q is open", b.name),
		Retryable:  true,
		RetryAfter: wait,
		Err:        ErrOpen,
	}
}

// beginTrial counts the call just permitted as a half-open trial when the
// breaker is half-open.
func (b *Breaker) beginTrial() (gen uint64, trial bool) {
	if b.State() != HalfOpen {
		return 0, false
	}
	b.trialMu.Lock()
	defer b.trialMu.Unlock()
	gen = b.trips.Load()
	if b.trialGen != gen {
		b.trialGen, b.trials = gen, 0
	}
	b.trials++
	return gen, true
}

// record hands the outcome to failsafe, which releases the permit, then
// ends the trial.
func (b *Breaker) record(gen uint64, trial, failure bool) {
	if failure {
		b.cb.RecordFailure()
	} else {
		b.cb.RecordSuccess()
	}
	if !trial {
		return
	}
	b.trialMu.Lock()
	defer b.trialMu.Unlock()
	if b.trialGen == gen && b.trials > 0 {
		b.trials--
	}
}

// trialsInFlight returns the half-open trials of the current period that
// have not finished.
func (b *Breaker) trialsInFlight() int {
	b.trialMu.Lock()
	defer b.trialMu.Unlock()
	if b.trialGen != b.trips.Load() {
		return 0
	}
	return b.trials
}
