package server

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/metrics"
)

// healthTimeout bounds one backend ping.
const healthTimeout = 2 * time.Second

// Component states of the health endpoints.
const (
	healthOK            = "ok"
	healthDown          = "down"
	healthNotConfigured = "not_configured"
)

// componentHealth is the body of /health/redis and /health/db.
type componentHealth struct {
	Status    string   `json:"status"`
	LatencyMS *float64 `json:"latency_ms,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// healthCacheTTL is how long a ping's answer is reused: a flood of health
// requests costs each backend at most one ping per component per TTL.
const healthCacheTTL = time.Second

// healthCache keeps the last answer of each component's ping.
type healthCache struct {
	mu sync.Mutex
	m  map[string]*cachedHealth
}

type cachedHealth struct {
	mu  sync.Mutex // held while pinging: concurrent requests wait and share
	at  time.Time
	res componentHealth
}

func (c *healthCache) entry(name string) *cachedHealth {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*cachedHealth{}
	}
	e := c.m[name]
	if e == nil {
		e = &cachedHealth{}
		c.m[name] = e
	}
	return e
}

// check answers one component's health, from a ping at most
// healthCacheTTL old; a nil check is not_configured.
func (s *Server) check(ctx context.Context, name string, ping func(context.Context) error) componentHealth {
	if ping == nil {
		return componentHealth{Status: healthNotConfigured}
	}
	e := s.healthCache.entry(name)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.at.IsZero() && time.Since(e.at) < healthCacheTTL {
		return e.res
	}
	e.res = s.ping(ctx, name, ping)
	e.at = time.Now()
	return e.res
}

// ping runs one component's check.
func (s *Server) ping(ctx context.Context, name string, ping func(context.Context) error) componentHealth {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	start := time.Now()
	err := ping(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "health check failed", "component", name, "error", err)
		return componentHealth{Status: healthDown, Error: healthError(err)}
	}
	ms := math.Round(float64(time.Since(start).Microseconds())) / 1000
	return componentHealth{Status: healthOK, LatencyMS: &ms}
}

// healthError is a sanitized reason: the library's message of a
// *taskq.Error, never driver text.
func healthError(err error) string {
	var te *taskq.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout after " + healthTimeout.String()
	case errors.As(err, &te) && te.Message != "" && taskq.ValidText(te.Message) && len(te.Message) < 200:
		return te.Message
	}
	return "unreachable"
}

func (s *Server) writeComponent(w http.ResponseWriter, h componentHealth) {
	status := http.StatusOK
	if h.Status == healthDown {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, h)
}

// healthRedis serves GET /health/redis.
func (s *Server) healthRedis(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if !s.limitHealth(w, r) {
		return nil
	}
	s.writeComponent(w, s.check(r.Context(), "redis", s.health.Redis))
	return nil
}

// healthDB serves GET /health/db.
func (s *Server) healthDB(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if !s.limitHealth(w, r) {
		return nil
	}
	s.writeComponent(w, s.check(r.Context(), "db", s.health.DB))
	return nil
}

// healthAll serves GET /health: 503 "degraded" when a configured
// component is down.
func (s *Server) healthAll(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if !s.limitHealth(w, r) {
		return nil
	}
	var redis, db componentHealth
	var wg sync.WaitGroup
	wg.Go(func() { redis = s.check(r.Context(), "redis", s.health.Redis) })
	wg.Go(func() { db = s.check(r.Context(), "db", s.health.DB) })
	wg.Wait()
	body := map[string]any{
		"status":     healthOK,
		"components": map[string]string{"redis": redis.Status, "db": db.Status},
	}
	status := http.StatusOK
	if redis.Status == healthDown || db.Status == healthDown {
		body["status"] = "degraded"
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, body)
	return nil
}

// limitHealth applies the per-IP rate limit to the health endpoints (which
// need no credentials); it answers 429 and returns false past it.
func (s *Server) limitHealth(w http.ResponseWriter, r *http.Request) bool {
	return s.limit(w, r, metrics.ScopeIP, "ip:"+infoOf(r.Context()).clientIP, s.ipLimit)
}
