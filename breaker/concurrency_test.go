package breaker_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/breaker"
)

func TestConcurrentDo(t *testing.T) {
	t.Parallel()
	bb := setup(t, breaker.Config{FailureThreshold: 3, Delay: 2 * time.Millisecond, HalfOpenTrials: 2})
	names := []string{"a", "b"}
	var healthy atomic.Bool
	var calls, rejected, failed atomic.Int64

	const goroutines, perGoroutine = 16, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				if !healthy.Load() && bb.reg.Get("a").Trips() >= 2 && bb.reg.Get("b").Trips() >= 2 {
					healthy.Store(true) // the dependency recovers once both reopened
				}
				name := names[(g+i)%len(names)]
				b := bb.reg.Get(name)
				_ = b.State()
				_ = b.Allow()
				_ = b.RemainingDelay()
				err := bb.reg.Do(context.Background(), name, func(context.Context) error {
					calls.Add(1)
					if healthy.Load() || i%8 == 0 {
						return nil
					}
					return errBoom
				})
				switch {
				case err == nil:
				case errors.Is(err, errBoom):
					failed.Add(1)
				case errors.Is(err, breaker.ErrOpen):
					rejected.Add(1)
					requireOpenError(t, err, 2*time.Millisecond)
				default:
					t.Errorf("unexpected error %v", err)
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(goroutines*perGoroutine), calls.Load()+rejected.Load(), "every Do either called fn or was rejected")
	require.Positive(t, failed.Load())
	require.Positive(t, rejected.Load(), "the failing phase must have opened a breaker")

	for _, name := range names {
		b := bb.reg.Get(name)
		require.Eventually(t, func() bool {
			_ = b.Do(context.Background(), succeed)
			return b.State() == breaker.Closed
		}, 5*time.Second, time.Millisecond, "breaker %s closes once healthy", name)

		opens := 0
		for _, tr := range bb.rec.Transitions() {
			if tr.name != name {
				continue
			}
			valid := (tr.from == breaker.Closed && tr.to == breaker.Open) ||
				(tr.from == breaker.Open && tr.to == breaker.HalfOpen) ||
				(tr.from == breaker.HalfOpen && (tr.to == breaker.Open || tr.to == breaker.Closed))
			require.True(t, valid, "transition %v", tr)
			if tr.to == breaker.Open {
				opens++
			}
		}
		require.Positive(t, opens)
		require.Equal(t, uint64(opens), b.Trips(), "Trips counts each opening once")
		require.Equal(t, opens, bb.rec.Trips(name))
	}
}
