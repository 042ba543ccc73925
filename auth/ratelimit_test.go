package auth_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/testclock"
)

// exerciseBurst checks the GCRA arithmetic on any Limiter whose clock is
// clock: a burst of 3 at 1/s, then denial with exact Retry-After.
func exerciseBurst(t *testing.T, l auth.Limiter, clock *testclock.Clock, key string) {
	t.Helper()
	ctx := context.Background()
	lim := auth.PerSecond(1, 3)
	for i, want := range []int{2, 1, 0} {
		d, err := l.Allow(ctx, key, lim)
		require.NoError(t, err)
		require.Equal(t, auth.Decision{Allowed: true, Limit: 3, Remaining: want, ResetAfter: time.Duration(i+1) * time.Second}, d, "event %d", i)
	}
	d, err := l.Allow(ctx, key, lim)
	require.NoError(t, err)
	require.Equal(t, auth.Decision{Allowed: false, Limit: 3, Remaining: 0, ResetAfter: 3 * time.Second, RetryAfter: time.Second}, d)
	require.Equal(t, 1, d.RetryAfterSeconds())
	require.Equal(t, 3, d.ResetSeconds())

	clock.Advance(400 * time.Millisecond)
	d, err = l.Allow(ctx, key, lim)
	require.NoError(t, err)
	require.False(t, d.Allowed, "a denied event consumes nothing, so the wait shrinks")
	require.Equal(t, 600*time.Millisecond, d.RetryAfter)
	require.Equal(t, 1, d.RetryAfterSeconds())

	clock.Advance(600 * time.Millisecond)
	d, err = l.Allow(ctx, key, lim)
	require.NoError(t, err)
	require.Equal(t, auth.Decision{Allowed: true, Limit: 3, Remaining: 0, ResetAfter: 3 * time.Second}, d)

	clock.Advance(time.Hour)
	d, err = l.Allow(ctx, key, lim)
	require.NoError(t, err)
	require.Equal(t, auth.Decision{Allowed: true, Limit: 3, Remaining: 2, ResetAfter: time.Second}, d)

	// A stricter per-minute limit on another key: 10/min, burst 2.
	strict := auth.PerMinute(10, 2)
	for range 2 {
		d, err = l.Allow(ctx, key+":token", strict)
		require.NoError(t, err)
		require.True(t, d.Allowed)
	}
	d, err = l.Allow(ctx, key+":token", strict)
	require.NoError(t, err)
	require.False(t, d.Allowed)
	require.Equal(t, 6*time.Second, d.RetryAfter)
	require.Equal(t, 12*time.Second, d.ResetAfter)
}

func TestMemoryLimiterBurst(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := auth.NewMemoryLimiter(auth.MemoryLimiterConfig{Now: clock.Now})
	exerciseBurst(t, l, clock, "principal:k1")

	// Keys are independent.
	d, err := l.Allow(context.Background(), "principal:k2", auth.PerSecond(1, 3))
	require.NoError(t, err)
	require.Equal(t, 2, d.Remaining)
}

func TestLimitDefaultsAndErrors(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := auth.NewMemoryLimiter(auth.MemoryLimiterConfig{Now: clock.Now})
	ctx := context.Background()
	d, err := l.Allow(ctx, "a", auth.Limit{Rate: 2.5})
	require.NoError(t, err)
	require.Equal(t, 3, d.Limit, "burst defaults to ceil(rate)")
	require.Equal(t, 400*time.Millisecond, d.ResetAfter, "period defaults to 1s")
	d, err = l.Allow(ctx, "b", auth.Limit{Rate: 0.5})
	require.NoError(t, err)
	require.Equal(t, 1, d.Limit)
	require.Equal(t, 2*time.Second, d.ResetAfter)
	for _, bad := range []auth.Limit{{}, {Rate: -1}, {Rate: 1, Burst: -1}, {Rate: 1, Period: -time.Second}} {
		_, err = l.Allow(ctx, "c", bad)
		require.Error(t, err, "%+v", bad)
	}
}

func TestDecisionHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	auth.Decision{Allowed: true, Limit: 100, Remaining: 99, ResetAfter: 10 * time.Millisecond}.SetHeaders(h)
	require.Equal(t, "100", h.Get("RateLimit-Limit"))
	require.Equal(t, "99", h.Get("RateLimit-Remaining"))
	require.Equal(t, "1", h.Get("RateLimit-Reset"))
	require.Empty(t, h.Values("Retry-After"))

	h = http.Header{}
	d := auth.Decision{Limit: 10, ResetAfter: 59500 * time.Millisecond, RetryAfter: 2001 * time.Millisecond}
	d.SetHeaders(h)
	require.Equal(t, "0", h.Get("RateLimit-Remaining"))
	require.Equal(t, "60", h.Get("RateLimit-Reset"))
	require.Equal(t, "3", h.Get("Retry-After"))
	require.Equal(t, 1, auth.Decision{RetryAfter: time.Microsecond}.RetryAfterSeconds())
	require.Equal(t, 1, auth.Decision{}.RetryAfterSeconds(), "a denial always asks to wait at least 1s")
	require.Equal(t, 0, auth.Decision{Allowed: true}.RetryAfterSeconds())
}

func TestMemoryLimiterConcurrentExact(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := auth.NewMemoryLimiter(auth.MemoryLimiterConfig{Now: clock.Now})
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				d, err := l.Allow(context.Background(), "shared", auth.PerSecond(1, 37))
				if err == nil && d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 37, allowed.Load(), "the clock stands still: exactly the burst passes")
}

func TestMemoryLimiterBoundedMemory(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := auth.NewMemoryLimiter(auth.MemoryLimiterConfig{Now: clock.Now, MaxKeys: 640})
	ctx := context.Background()
	for i := range 20_000 {
		d, err := l.Allow(ctx, "ip:"+strconv.Itoa(i), auth.PerSecond(1, 5))
		require.NoError(t, err)
		require.True(t, d.Allowed)
	}
	require.LessOrEqual(t, l.Len(), 640)
	require.Greater(t, l.Len(), 0)

	// Idle keys are swept once their bucket is full again.
	clock.Advance(2 * time.Minute)
	for i := range 2000 {
		_, err := l.Allow(ctx, "late:"+strconv.Itoa(i%3), auth.PerSecond(1, 5))
		require.NoError(t, err)
	}
	require.Equal(t, 3, l.Len(), "only the live keys remain")
}
