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
)

// healthTimeout bounds one backend ping.
const healthTimeout = 2 * time.Second

// healthCacheTTL is how long a ping's result answers the health endpoints:
// a flood of /health makes at most one ping per backend per period.
const healthCacheTTL = time.Second

// pingCache remembers the last result of one component's check for
// healthCacheTTL; concurrent requests while a ping runs wait for it
// instead of pinging again.
type pingCache struct {
	mu       sync.Mutex
	at       time.Time
	res      componentHealth
	inflight chan struct{}
}

// get returns the cached result, or runs check (one caller at a time;
// the others wait for its result or their own end).
func (c *pingCache) get(ctx context.Context, check func(context.Context) componentHealth) componentHealth {
	c.mu.Lock()
	if !c.at.IsZero() && time.Since(c.at) < healthCacheTTL {
		res := c.res
		c.mu.Unlock()
		return res
	}
	if ch := c.inflight; ch != nil {
		c.mu.Unlock()
		select {
		case <-ch:
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.res
		case <-ctx.Done():
			return componentHealth{Status: healthDown, Error: "request ended"}
		}
	}
	ch := make(chan struct{})
	c.inflight = ch
	c.mu.Unlock()
	// The ping does not end with this request: its result serves the
	// waiting ones (healthTimeout bounds it).
	res := check(context.WithoutCancel(ctx))
	c.mu.Lock()
	c.res, c.at, c.inflight = res, time.Now(), nil
	c.mu.Unlock()
	close(ch)
	return res
}

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

// check answers one component's health from its cache (see pingCache); a
// nil check is not_configured.
func (s *Server) check(ctx context.Context, name string, ping func(context.Context) error) componentHealth {
	if ping == nil {
		return componentHealth{Status: healthNotConfigured}
	}
	c := &s.pingDB
	if name == "redis" {
		c = &s.pingRedis
	}
	return c.get(ctx, func(ctx context.Context) componentHealth { return s.ping(ctx, name, ping) })
}

// ping runs one component's check now.
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

func (s *Server) writeComponent(w http.ResponseWriter, r *http.Request, h componentHealth) {
	status := http.StatusOK
	if h.Status == healthDown {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	s.writeJSON(w, r, status, h)
}

// healthRedis serves GET /health/redis.
func (s *Server) healthRedis(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s.writeComponent(w, r, s.check(r.Context(), "redis", s.health.Redis))
	return nil
}

// healthDB serves GET /health/db.
func (s *Server) healthDB(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s.writeComponent(w, r, s.check(r.Context(), "db", s.health.DB))
	return nil
}

// healthAll serves GET /health: 503 "degraded" when a configured
// component is down.
func (s *Server) healthAll(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var redis, db componentHealth
	var wg sync.WaitGroup
	wg.Go(func() { redis = s.check(r.Context(), "redis", s.health.Redis) })
	wg.Go(func() { db = s.check(r.Context(), "db", s.health.DB) })
	wg.Wait()
	body := map[string]any{
		"status":     healthOK,
		"deployment": s.deployment,
		"components": map[string]string{"redis": redis.Status, "db": db.Status},
	}
	status := http.StatusOK
	if redis.Status == healthDown || db.Status == healthDown {
		body["status"] = "degraded"
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	s.writeJSON(w, r, status, body)
	return nil
}
