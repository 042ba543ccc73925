package auth_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/testenv"
)

func newRedisClient(t testing.TB, r *testenv.Redis) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{r.Addr()}, DisableCache: true})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func newRedisLimiter(t testing.TB, c rueidis.Client, cfg auth.RedisLimiterConfig) *auth.RedisLimiter {
	t.Helper()
	l, err := auth.NewRedisLimiter(c, cfg)
	require.NoError(t, err)
	return l
}

func TestRedisLimiter(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)

	t.Run("burst and retry-after", func(t *testing.T) {
		t.Parallel()
		clock := newClock()
		l := newRedisLimiter(t, newRedisClient(t, r), auth.RedisLimiterConfig{Prefix: "t1:", Now: clock.Now})
		exerciseBurst(t, l, clock, "principal:k1")
	})

	t.Run("shared by two limiters", func(t *testing.T) {
		t.Parallel()
		clock := newClock()
		cfg := auth.RedisLimiterConfig{Prefix: "t2:", Now: clock.Now}
		a := newRedisLimiter(t, newRedisClient(t, r), cfg)
		b := newRedisLimiter(t, newRedisClient(t, r), cfg)
		ctx := context.Background()
		lim := auth.PerMinute(60, 3)
		for i, l := range []auth.Limiter{a, b, a} {
			d, err := l.Allow(ctx, "ip:192.0.2.1", lim)
			require.NoError(t, err)
			require.True(t, d.Allowed, "event %d", i)
			require.Equal(t, 2-i, d.Remaining)
		}
		for _, l := range []auth.Limiter{b, a} {
			d, err := l.Allow(ctx, "ip:192.0.2.1", lim)
			require.NoError(t, err)
			require.False(t, d.Allowed)
			require.Equal(t, time.Second, d.RetryAfter)
		}
		clock.Advance(time.Second)
		d, err := b.Allow(ctx, "ip:192.0.2.1", lim)
		require.NoError(t, err)
		require.True(t, d.Allowed)
		// Another prefix is another limiter.
		other := newRedisLimiter(t, newRedisClient(t, r), auth.RedisLimiterConfig{Prefix: "t2b:", Now: clock.Now})
		d, err = other.Allow(ctx, "ip:192.0.2.1", lim)
		require.NoError(t, err)
		require.Equal(t, 2, d.Remaining)
	})

	t.Run("server clock", func(t *testing.T) {
		t.Parallel()
		c := newRedisClient(t, r)
		a := newRedisLimiter(t, c, auth.RedisLimiterConfig{Prefix: "t3:"})
		b := newRedisLimiter(t, newRedisClient(t, r), auth.RedisLimiterConfig{Prefix: "t3:"})
		ctx := context.Background()
		lim := auth.PerMinute(1, 2) // one per minute: the test cannot outlast it
		for _, l := range []auth.Limiter{a, b} {
			d, err := l.Allow(ctx, "k", lim)
			require.NoError(t, err)
			require.True(t, d.Allowed)
		}
		d, err := a.Allow(ctx, "k", lim)
		require.NoError(t, err)
		require.False(t, d.Allowed)
		require.Greater(t, d.RetryAfter, 50*time.Second)
		require.LessOrEqual(t, d.RetryAfter, time.Minute)
		require.Equal(t, 60, d.RetryAfterSeconds())

		// The key expires with its bucket: a TTL no longer than 2 minutes.
		pttl, err := c.Do(ctx, c.B().Pttl().Key("t3:{k}").Build()).AsInt64()
		require.NoError(t, err)
		require.Greater(t, pttl, int64(60_000))
		require.LessOrEqual(t, pttl, int64(120_000))
	})

	t.Run("odd keys are hashed into one hash tag", func(t *testing.T) {
		t.Parallel()
		clock := newClock()
		c := newRedisClient(t, r)
		l := newRedisLimiter(t, c, auth.RedisLimiterConfig{Prefix: "t4:", Now: clock.Now})
		ctx := context.Background()
		for _, key := range []string{"a{b}c", "}{", strings.Repeat("x", 500), "2001:db8::1", ""} {
			d, err := l.Allow(ctx, key, auth.PerSecond(1, 1))
			require.NoError(t, err)
			require.True(t, d.Allowed)
			d, err = l.Allow(ctx, key, auth.PerSecond(1, 1))
			require.NoError(t, err)
			require.False(t, d.Allowed, "%q", key)
		}
		keys, err := c.Do(ctx, c.B().Keys().Pattern("t4:*").Build()).AsStrSlice()
		require.NoError(t, err)
		require.Len(t, keys, 5)
		for _, k := range keys {
			tag := strings.TrimSuffix(strings.TrimPrefix(k, "t4:{"), "}")
			require.NotContains(t, tag, "{", k)
			require.NotContains(t, tag, "}", k)
		}
	})
}

func TestRedisLimiterOutage(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	clock := newClock()
	c := newRedisClient(t, r)
	strict := newRedisLimiter(t, c, auth.RedisLimiterConfig{Now: clock.Now})
	fallback := auth.NewMemoryLimiter(auth.MemoryLimiterConfig{Now: clock.Now})
	lenient := newRedisLimiter(t, c, auth.RedisLimiterConfig{Now: clock.Now, Fallback: fallback})
	ctx := context.Background()
	_, err := strict.Allow(ctx, "k", auth.PerSecond(1, 1))
	require.NoError(t, err)

	r.Stop(t)
	_, err = strict.Allow(ctx, "k", auth.PerSecond(1, 1))
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	require.Equal(t, "rate limiter unavailable", taskq.AsError(err).Message)

	d, err := lenient.Allow(ctx, "k", auth.PerSecond(1, 1))
	require.NoError(t, err)
	require.True(t, d.Allowed)
	d, err = lenient.Allow(ctx, "k", auth.PerSecond(1, 1))
	require.NoError(t, err)
	require.False(t, d.Allowed, "the fallback still limits")
	require.Equal(t, 1, fallback.Len())

	_, err = auth.NewRedisLimiter(nil, auth.RedisLimiterConfig{})
	require.Error(t, err)
}

// TestRedisLimiterCoalesces: Allow calls of one key arriving while one is
// in flight share one script call, and each gets the decision it would
// have got alone, in order: with the clock standing still exactly the
// burst passes, each allowed call sees a different remaining count, and
// the denied ones are told when to retry. Redis is paused (CLIENT PAUSE)
// under the first call so that the others surely queue behind it.
func TestRedisLimiterCoalesces(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	clock := newClock()
	l := newRedisLimiter(t, newRedisClient(t, r), auth.RedisLimiterConfig{Prefix: "c:", Now: clock.Now})
	other := newRedisLimiter(t, newRedisClient(t, r), auth.RedisLimiterConfig{Prefix: "c:", Now: clock.Now})
	ctx := context.Background()
	lim := auth.PerSecond(1, 5)
	// Another replica takes one event of the burst first.
	d, err := other.Allow(ctx, "user:u", lim)
	require.NoError(t, err)
	require.True(t, d.Allowed)
	calls0 := evalCalls(t, r)

	_, err = r.Do("CLIENT", "PAUSE", "10000", "WRITE")
	require.NoError(t, err)
	unpaused := false
	unpause := func() {
		if !unpaused {
			unpaused = true
			_, err := r.Do("CLIENT", "UNPAUSE")
			require.NoError(t, err)
		}
	}
	defer unpause()
	const n = 9
	results := make(chan auth.Decision, n)
	go func() {
		d, err := l.Allow(ctx, "user:u", lim)
		assert.NoError(t, err)
		results <- d
	}()
	waitUntil(t, func() bool { return evalCalls(t, r) > calls0 || pausedClients(t, r) }) // the first call reached Redis
	for range n - 1 {
		go func() {
			d, err := l.Allow(ctx, "user:u", lim)
			assert.NoError(t, err)
			results <- d
		}()
	}
	waitUntil(t, func() bool { return l.Waiting("user:u", lim) == n-1 })
	unpause()

	remaining := map[int]bool{}
	allowed := 0
	for range n {
		d := <-results
		if d.Allowed {
			allowed++
			remaining[d.Remaining] = true
			require.Zero(t, d.RetryAfter)
		} else {
			require.Equal(t, time.Second, d.RetryAfter)
			require.Equal(t, 5, d.Limit)
		}
	}
	require.Equal(t, 4, allowed, "the burst of 5 less the other replica's event")
	require.Equal(t, map[int]bool{0: true, 1: true, 2: true, 3: true}, remaining)
	require.Equal(t, int64(2), evalCalls(t, r)-calls0, "the waiting calls shared one script call")

	d, err = other.Allow(ctx, "user:u", lim)
	require.NoError(t, err)
	require.False(t, d.Allowed, "the other replica sees the burst spent")
	clock.Advance(time.Second)
	d, err = other.Allow(ctx, "user:u", lim)
	require.NoError(t, err)
	require.True(t, d.Allowed)
}

// evalCalls is the number of EVALSHA and EVAL calls the server ran.
func evalCalls(t *testing.T, r *testenv.Redis) int64 {
	t.Helper()
	info, err := r.Do("INFO", "commandstats")
	require.NoError(t, err)
	var total int64
	for _, line := range strings.Split(info, "\n") {
		for _, cmd := range []string{"cmdstat_evalsha:calls=", "cmdstat_eval:calls="} {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), cmd); ok {
				n, err := strconv.ParseInt(rest[:strings.IndexByte(rest, ',')], 10, 64)
				require.NoError(t, err)
				total += n
			}
		}
	}
	return total
}

// pausedClients reports whether a client waits on the server's pause.
func pausedClients(t *testing.T, r *testenv.Redis) bool {
	t.Helper()
	info, err := r.Do("INFO", "clients")
	require.NoError(t, err)
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "blocked_clients:"); ok {
			return rest != "0"
		}
	}
	return false
}

// waitUntil polls cond every millisecond, for 10s at most.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "condition not met within 10s")
		time.Sleep(time.Millisecond)
	}
}
