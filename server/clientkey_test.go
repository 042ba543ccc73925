package server

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// Addresses of one IPv6 /64 and of another; bracketed for RemoteAddr.
var (
	sameSlash64 = []string{"[2001:db8:1:2::1]", "[2001:db8:1:2::2]", "[2001:db8:1:2:ffff:ffff:ffff:fffe]", "[2001:db8:1:2:abcd::9]"}
	otherSlash6 = "[2001:db8:1:3::1]"
)

func TestIPv6RotationWithinSlash64SharesLimits(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{RateLimit: 0.001, RateBurst: 3, AuthRateLimit: 2, AuthFailLimit: 3, AuthBlock: time.Hour}, Deps{}, false)

	// Unauthenticated API calls: one bucket for the whole /64.
	for _, ip := range sameSlash64[:3] {
		requireError(t, b.do(req{method: "GET", path: "/api/tasks", ip: ip}), 401, taskq.CodeUnauthorized)
	}
	requireError(t, b.do(req{method: "GET", path: "/api/tasks", ip: sameSlash64[3]}), 429, taskq.CodeRateLimitExceeded)
	requireError(t, b.do(req{method: "GET", path: "/api/nope", ip: sameSlash64[3]}), 429, taskq.CodeRateLimitExceeded)
	requireError(t, b.do(req{method: "GET", path: "/api/tasks", ip: otherSlash6}), 401, taskq.CodeUnauthorized)

	// Health and metrics: one bucket per /64.
	for _, ip := range sameSlash64[:3] {
		require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/health", ip: ip}).Code)
	}
	requireError(t, b.do(req{method: "GET", path: "/health/db", ip: sameSlash64[3]}), 429, taskq.CodeRateLimitExceeded)
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/health", ip: otherSlash6}).Code)

	// The token endpoint: 2 per minute per /64.
	tok := func(ip string) int {
		return b.do(req{method: "POST", path: "/api/auth/token", ip: ip, body: map[string]any{"api_key": testAdminKey}}).Code
	}
	require.Equal(t, http.StatusOK, tok("[2001:db8:9:9::1]"))
	require.Equal(t, http.StatusOK, tok("[2001:db8:9:9::2]"))
	require.Equal(t, http.StatusTooManyRequests, tok("[2001:db8:9:9::3]"))
	require.Equal(t, http.StatusOK, tok("[2001:db8:9:a::3]"))

	// IPv4-mapped IPv6 is the IPv4 client.
	require.Equal(t, http.StatusOK, tok("198.51.100.77"))
	require.Equal(t, http.StatusOK, tok("[::ffff:198.51.100.77]"))
	require.Equal(t, http.StatusTooManyRequests, tok("198.51.100.77"))
}

func TestIPv6RotationWithinSlash64IsBlocked(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{AuthFailLimit: 3, AuthBlock: time.Hour}, Deps{}, false)
	for _, ip := range sameSlash64[:3] {
		requireError(t, b.do(req{method: "GET", path: "/api/tasks", ip: ip, key: "wrong-key-0123456789"}), 401, taskq.CodeUnauthorized)
	}
	w := b.do(req{method: "GET", path: "/api/tasks", ip: sameSlash64[3], key: testAdminKey})
	requireError(t, w, 429, taskq.CodeRateLimitExceeded)
	require.NotEmpty(t, w.Header().Get("Retry-After"))
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/api/tasks", ip: otherSlash6, key: testAdminKey}).Code)
}

func TestMetricsAuthHonoursBlockAndCountsFailures(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{MetricsAuth: true, AuthFailLimit: 3, AuthBlock: time.Hour}, Deps{}, false)
	const ip = "192.0.2.40"
	requireError(t, b.do(req{method: "GET", path: "/metrics", ip: ip}), 401, taskq.CodeUnauthorized)
	for range 3 {
		requireError(t, b.do(req{method: "GET", path: "/metrics", ip: ip, key: "wrong-key-0123456789"}), 401, taskq.CodeUnauthorized)
	}
	// Blocked on /metrics and on the API, even with the admin key.
	requireError(t, b.do(req{method: "GET", path: "/metrics", ip: ip, key: testAdminKey}), 429, taskq.CodeRateLimitExceeded)
	requireError(t, b.do(req{method: "GET", path: "/api/tasks", ip: ip, key: testAdminKey}), 429, taskq.CodeRateLimitExceeded)
	// Health checks no credentials: still served.
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/health", ip: ip}).Code)

	// Failures on the API block /metrics too.
	const ip2 = "192.0.2.41"
	for range 3 {
		requireError(t, b.do(req{method: "GET", path: "/api/tasks", ip: ip2, bearer: "not.a.jwt"}), 401, taskq.CodeUnauthorized)
	}
	requireError(t, b.do(req{method: "GET", path: "/metrics", ip: ip2, key: testAdminKey}), 429, taskq.CodeRateLimitExceeded)
	require.Equal(t, http.StatusOK, b.do(req{method: "GET", path: "/metrics", ip: "192.0.2.42", key: testAdminKey}).Code)
}

func TestHealthPingsAreCached(t *testing.T) {
	t.Parallel()
	var redis, db atomic.Int64
	b := setup(t, Config{RateBurst: 10000, RateLimit: 10000}, Deps{Health: Health{
		Redis: func(context.Context) error { redis.Add(1); return nil },
		DB:    func(context.Context) error { db.Add(1); return nil },
	}}, false)
	start := time.Now()
	const n = 200
	done := make(chan int, n)
	for i := range n {
		go func() {
			path := []string{"/health", "/health/redis", "/health/db"}[i%3]
			done <- b.do(req{method: "GET", path: path}).Code
		}()
	}
	for range n {
		require.Equal(t, http.StatusOK, <-done)
	}
	periods := int64(time.Since(start)/healthCacheTTL) + 1
	require.LessOrEqual(t, redis.Load(), periods, "a flood pings Redis at most once per %s", healthCacheTTL)
	require.LessOrEqual(t, db.Load(), periods)
	require.GreaterOrEqual(t, redis.Load(), int64(1))

	// After the period a new ping runs.
	before := db.Load()
	waitFor(t, 5*time.Second, func() bool {
		b.do(req{method: "GET", path: "/health/db"})
		return db.Load() > before
	}, func() string { return "no new ping after the cache period" })
}
