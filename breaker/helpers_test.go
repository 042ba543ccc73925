package breaker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"

	"github.com/taskq/taskq/breaker"
)

var errBoom = errors.New("boom")

// transition is one OnStateChange call.
type transition struct {
	name     string
	from, to breaker.State
}

// recorder collects OnStateChange calls and Observer reports.
type recorder struct {
	mu          sync.Mutex
	transitions []transition
	states      []transition // to only; from unused
	trips       map[string]int
}

func (r *recorder) onChange(name string, from, to breaker.State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.transitions = append(r.transitions, transition{name, from, to})
}

// BreakerState implements breaker.Observer.
func (r *recorder) BreakerState(name string, s breaker.State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, transition{name: name, to: s})
}

// BreakerTrip implements breaker.Observer.
func (r *recorder) BreakerTrip(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.trips == nil {
		r.trips = map[string]int{}
	}
	r.trips[name]++
}

func (r *recorder) Transitions() []transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]transition(nil), r.transitions...)
}

func (r *recorder) States() []transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]transition(nil), r.states...)
}

func (r *recorder) Trips(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.trips[name]
}

type bundle struct {
	reg *breaker.Registry
	rec *recorder
}

// setup returns a registry whose default config is def, with its hooks
// recorded.
func setup(t *testing.T, def breaker.Config) bundle {
	t.Helper()
	rec := &recorder{}
	reg := breaker.NewRegistry(breaker.RegistryConfig{
		Default:       def,
		OnStateChange: rec.onChange,
		Observer:      rec,
		Logger:        testLogger(t),
	})
	return bundle{reg: reg, rec: rec}
}

func fail(context.Context) error    { return errBoom }
func succeed(context.Context) error { return nil }

// trip fails calls until b opens.
func trip(t *testing.T, b *breaker.Breaker) {
	t.Helper()
	for i := 0; i < 1000 && b.State() != breaker.Open; i++ {
		_ = b.Do(context.Background(), fail)
	}
	require.Equal(t, breaker.Open, b.State())
}

// waitAllow polls until b would let a call through.
func waitAllow(t *testing.T, b *breaker.Breaker) {
	t.Helper()
	require.Eventually(t, b.Allow, 5*time.Second, time.Millisecond, "breaker %q never allowed a call", b.Name())
}

// requireOpenError checks the error of a rejected call.
func requireOpenError(t *testing.T, err error, maxWait time.Duration) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, breaker.ErrOpen)
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	var te *taskq.Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, taskq.CodeServiceUnavailable, te.Code)
	require.True(t, te.Retryable)
	require.Greater(t, te.RetryAfter, time.Duration(0))
	require.LessOrEqual(t, te.RetryAfter, maxWait)
}
