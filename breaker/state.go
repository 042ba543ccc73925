package breaker

import "github.com/failsafe-go/failsafe-go/circuitbreaker"

// State is the state of a breaker. Its numeric value is the value of the
// circuit_breaker_state gauge.
type State int

// The states of a breaker.
const (
	// Closed lets every call through and counts failures.
	Closed State = 0
	// HalfOpen lets a few trial calls through; their outcome closes or
	// reopens the breaker.
	HalfOpen State = 1
	// Open rejects calls until its delay has passed.
	Open State = 2
)

// String returns "closed", "half-open" or "open".
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half-open"
	case Open:
		return "open"
	}
	return "unknown"
}

// stateOf converts failsafe's state, whose numbering differs from ours.
func stateOf(s circuitbreaker.State) State {
	switch s {
	case circuitbreaker.OpenState:
		return Open
	case circuitbreaker.HalfOpenState:
		return HalfOpen
	}
	return Closed
}
