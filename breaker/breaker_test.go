package breaker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/breaker"
)

func TestClosedToOpenOnConsecutiveFailures(t *testing.T) {
	t.Parallel()
	bb := setup(t, breaker.Config{Delay: time.Minute})
	b := bb.reg.Get("payments")
	ctx := context.Background()

	require.Equal(t, breaker.Closed, b.State())
	for range 4 {
		require.ErrorIs(t, b.Do(ctx, fail), errBoom)
	}
	require.NoError(t, b.Do(ctx, succeed)) // breaks the run of failures
	for range 4 {
		require.ErrorIs(t, b.Do(ctx, fail), errBoom)
	}
	require.Equal(t, breaker.Closed, b.State(), "4 consecutive failures must not open the default breaker")
	require.True(t, b.Allow())
	require.Zero(t, b.RemainingDelay())
	require.Zero(t, b.Trips())

	require.ErrorIs(t, b.Do(ctx, fail), errBoom) // the fifth in a row
	require.Equal(t, breaker.Open, b.State())
	require.Equal(t, uint64(1), b.Trips())
	require.False(t, b.Allow())
	require.Greater(t, b.RemainingDelay(), 50*time.Second)
	require.LessOrEqual(t, b.RemainingDelay(), time.Minute)
	require.Equal(t, []transition{{"payments", breaker.Closed, breaker.Open}}, bb.rec.Transitions())
}

func TestOpenRejectsWithServiceUnavailable(t *testing.T) {
	t.Parallel()
	bb := setup(t, breaker.Config{FailureThreshold: 1, Delay: time.Minute})
	b := bb.reg.Get("payments")
	trip(t, b)

	called := false
	err := b.Do(context.Background(), func(context.Context) error { called = true; return nil })
	require.False(t, called, "an open breaker must not call fn")
	requireOpenError(t, err, time.Minute)
	require.ErrorIs(t, err, circuitbreaker.ErrOpen)
	require.Contains(t, err.Error(), `circuit breaker "payments" is open`)

	var te *taskq.Error
	require.ErrorAs(t, err, &te)
	require.Greater(t, te.RetryAfter, 50*time.Second, "RetryAfter is the remaining open delay")
	require.Equal(t, taskq.CodeServiceUnavailable, taskq.TaskErrorFrom(err).Code)
	require.Equal(t, uint64(1), b.Trips(), "rejections are not trips")
}

func TestRatioThresholdOverWindow(t *testing.T) {
	t.Parallel()
	bb := setup(t, breaker.Config{FailureRatio: 0.5, MinExecutions: 10, Window: time.Minute, Delay: time.Minute})
	b := bb.reg.Get("search")
	ctx := context.Background()

	for range 9 {
		_ = b.Do(ctx, fail)
	}
	require.Equal(t, breaker.Closed, b.State(), "below MinExecutions the ratio is not considered")
	require.NoError(t, b.Do(ctx, succeed)) // 10 calls, 9 failures
	require.Equal(t, breaker.Open, b.State(), "at MinExecutions the ratio applies, on any outcome")
}

func TestRatioThresholdOpensAtRatio(t *testing.T) {
	t.Parallel()
	bb := setup(t, breaker.Config{FailureRatio: 0.5, MinExecutions: 10, Window: time.Minute, Delay: time.Minute})
	b := bb.reg.Get("search")
	ctx := context.Background()

	for range 6 {
		require.NoError(t, b.Do(ctx, succeed))
	}
	for i := range 5 { // 7..11 calls with 1..5 failures: at most 45%
		_ = b.Do(ctx, fail)
		require.Equal(t, breaker.Closed, b.State(), "after failure %d", i+1)
	}
	_ = b.Do(ctx, fail) // 12 calls, 6 failures: 50%
	require.Equal(t, breaker.Open, b.State())
	require.Equal(t, uint64(1), b.Trips())
}

func TestOpenToHalfOpenToClosed(t *testing.T) {
	t.Parallel()
	const delay = 200 * time.Millisecond // long enough to observe the open state under load
	bb := setup(t, breaker.Config{FailureThreshold: 1, Delay: delay})
	b := bb.reg.Get("payments")
	trip(t, b)
	require.False(t, b.Allow())
	require.Greater(t, b.RemainingDelay(), time.Duration(0))
	requireOpenError(t, b.Do(context.Background(), succeed), delay)

	waitAllow(t, b)
	require.Zero(t, b.RemainingDelay(), "delay passed")
	require.Equal(t, breaker.Open, b.State(), "half-opening is lazy: it waits for the next call")

	inTrial := make(chan struct{})
	release := make(chan struct{})
	trialDone := make(chan error, 1)
	go func() {
		trialDone <- b.Do(context.Background(), func(context.Context) error {
			close(inTrial)
			<-release
			return nil
		})
	}()
	<-inTrial
	require.Equal(t, breaker.HalfOpen, b.State())
	require.False(t, b.Allow(), "the only trial is taken")
	require.Equal(t, delay/10, b.RemainingDelay(), "half-open wait while the trial runs")
	requireOpenError(t, b.Do(context.Background(), succeed), delay)

	close(release)
	require.NoError(t, <-trialDone)
	require.Equal(t, breaker.Closed, b.State())
	require.True(t, b.Allow())
	require.Zero(t, b.RemainingDelay())
	require.Equal(t, uint64(1), b.Trips())
	require.Equal(t, []transition{
		{"payments", breaker.Closed, breaker.Open},
		{"payments", breaker.Open, breaker.HalfOpen},
		{"payments", breaker.HalfOpen, breaker.Closed},
	}, bb.rec.Transitions())
}

func TestHalfOpenFailureReopens(t *testing.T) {
	t.Parallel()
	bb := setup(t, breaker.Config{FailureThreshold: 1, Delay: 200 * time.Millisecond})
	b := bb.reg.Get("payments")
	trip(t, b)
	waitAllow(t, b)

	require.ErrorIs(t, b.Do(context.Background(), fail), errBoom)
	require.Equal(t, breaker.Open, b.State())
	require.False(t, b.Allow())
	require.Greater(t, b.RemainingDelay(), time.Duration(0))
	require.Equal(t, uint64(2), b.Trips(), "reopening is a trip")
	require.Equal(t, 2, bb.rec.Trips("payments"))

	waitAllow(t, b) // and the next period admits a trial again
	require.NoError(t, b.Do(context.Background(), succeed))
	require.Equal(t, breaker.Closed, b.State())
	require.Equal(t, []transition{
		{"payments", breaker.Closed, breaker.Open},
		{"payments", breaker.Open, breaker.HalfOpen},
		{"payments", breaker.HalfOpen, breaker.Open},
		{"payments", breaker.Open, breaker.HalfOpen},
		{"payments", breaker.HalfOpen, breaker.Closed},
	}, bb.rec.Transitions())
}

func TestHalfOpenTrialsAndSuccessThreshold(t *testing.T) {
	t.Parallel()
	cfg := breaker.Config{FailureThreshold: 1, Delay: 50 * time.Millisecond, HalfOpenTrials: 3, SuccessThreshold: 2}

	t.Run("closes after enough successes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, cfg).reg.Get("x")
		trip(t, b)
		waitAllow(t, b)
		require.NoError(t, b.Do(context.Background(), succeed))
		require.Equal(t, breaker.HalfOpen, b.State())
		require.True(t, b.Allow(), "trials remain")
		require.NoError(t, b.Do(context.Background(), succeed))
		require.Equal(t, breaker.Closed, b.State())
	})
	t.Run("reopens once closing is impossible", func(t *testing.T) {
		t.Parallel()
		b := setup(t, cfg).reg.Get("x")
		trip(t, b)
		waitAllow(t, b)
		_ = b.Do(context.Background(), fail)
		require.Equal(t, breaker.HalfOpen, b.State(), "2 of 3 may still succeed")
		_ = b.Do(context.Background(), fail)
		require.Equal(t, breaker.Open, b.State())
	})
	t.Run("admits HalfOpenTrials calls at once", func(t *testing.T) {
		t.Parallel()
		b := setup(t, cfg).reg.Get("x")
		trip(t, b)
		waitAllow(t, b)
		release := make(chan struct{})
		started := make(chan struct{}, 3)
		errs := make(chan error, 3)
		for range 3 {
			go func() {
				errs <- b.Do(context.Background(), func(context.Context) error {
					started <- struct{}{}
					<-release
					return nil
				})
			}()
		}
		for range 3 {
			<-started
		}
		require.Equal(t, breaker.HalfOpen, b.State())
		require.False(t, b.Allow())
		requireOpenError(t, b.Do(context.Background(), succeed), 50*time.Millisecond)
		close(release)
		for range 3 {
			require.NoError(t, <-errs)
		}
		require.Equal(t, breaker.Closed, b.State())
	})
}

func TestNonFailuresDoNotOpen(t *testing.T) {
	t.Parallel()
	bb := setup(t, breaker.Config{FailureThreshold: 1, Delay: time.Minute})
	b := bb.reg.Get("api")
	ctx := context.Background()

	for _, err := range []error{
		context.Canceled,
		taskq.ErrNotFound,
		taskq.Errorf(taskq.CodeValidation, "bad field"),
		taskq.ErrUnauthorized,
		taskq.ErrForbidden,
		&breaker.HTTPStatusError{Code: 404},
	} {
		got := b.Do(ctx, func(context.Context) error { return err })
		require.Equal(t, err, got, "Do returns fn's error unchanged")
		require.Equal(t, breaker.Closed, b.State(), "%v must not count as a failure", err)
	}
	require.ErrorIs(t, b.Do(ctx, func(context.Context) error { return context.DeadlineExceeded }), context.DeadlineExceeded)
	require.Equal(t, breaker.Open, b.State(), "a timeout is a failure")
}

func TestHTTPStatusCountsAsFailure(t *testing.T) {
	t.Parallel()
	bb := setup(t, breaker.Config{FailureThreshold: 1, Delay: time.Minute})
	require.NoError(t, bb.reg.Configure("strict", breaker.Config{IsFailure: breaker.FailOnStatus(404)}))
	ctx := context.Background()

	status := func(code int) func(context.Context) error {
		return func(context.Context) error { return &breaker.HTTPStatusError{Code: code} }
	}
	_ = bb.reg.Do(ctx, "default", status(404))
	require.Equal(t, breaker.Closed, bb.reg.Get("default").State())
	_ = bb.reg.Do(ctx, "default", status(503))
	require.Equal(t, breaker.Open, bb.reg.Get("default").State())

	_ = bb.reg.Do(ctx, "strict", status(503))
	require.Equal(t, breaker.Closed, bb.reg.Get("strict").State(), "FailOnStatus(404) does not fail on 503")
	_ = bb.reg.Do(ctx, "strict", status(404))
	require.Equal(t, breaker.Open, bb.reg.Get("strict").State())
}

func TestDoneContextIsNotCounted(t *testing.T) {
	t.Parallel()
	b := setup(t, breaker.Config{FailureThreshold: 1}).reg.Get("x")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := b.Do(ctx, func(context.Context) error { called = true; return errBoom })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, called)
	require.Equal(t, breaker.Closed, b.State())
}

func TestDoPassesContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	b := setup(t, breaker.Config{}).reg.Get("x")
	ctx := context.WithValue(context.Background(), key{}, "v")
	require.NoError(t, b.Do(ctx, func(ctx context.Context) error {
		if ctx.Value(key{}) != "v" {
			return errors.New("context not passed")
		}
		return nil
	}))
}

func TestPanicCountsAsFailureAndReleasesTrial(t *testing.T) {
	t.Parallel()
	b := setup(t, breaker.Config{FailureThreshold: 1, Delay: 50 * time.Millisecond}).reg.Get("x")
	boom := func(context.Context) error { panic("boom") }

	require.PanicsWithValue(t, "boom", func() { _ = b.Do(context.Background(), boom) })
	require.Equal(t, breaker.Open, b.State())

	waitAllow(t, b)
	require.PanicsWithValue(t, "boom", func() { _ = b.Do(context.Background(), boom) })
	require.Equal(t, breaker.Open, b.State(), "a panicking trial reopens the breaker")
	waitAllow(t, b)
	require.NoError(t, b.Do(context.Background(), succeed), "the trial permit was released")
	require.Equal(t, breaker.Closed, b.State())
}

func TestJitterVariesDelay(t *testing.T) {
	t.Parallel()
	reg := setup(t, breaker.Config{FailureThreshold: 1, Delay: time.Minute, Jitter: 0.5}).reg
	for _, name := range []string{"a", "b", "c", "d"} {
		b := reg.Get(name)
		trip(t, b)
		d := b.RemainingDelay()
		require.GreaterOrEqual(t, d, 29*time.Second, name)
		require.LessOrEqual(t, d, 90*time.Second, name)
	}
}
