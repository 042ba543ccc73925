package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/metrics"
)

// policy says who may call a route and which rate limit applies.
type policy int

const (
	// public: no credentials; the per-client limit (health, metrics
	// without TASKQ_METRICS_AUTH).
	public policy = iota
	// open: no credentials; the per-IP limit (the OpenAPI document).
	open
	// token: no credentials; the stricter per-IP limit of the token
	// exchange.
	token
	// user: any authenticated principal; per-principal limit.
	user
	// admin: an authenticated admin; per-principal limit.
	admin
)

// reasonIPDenied labels auth_failures_total for a request refused by the
// deny list, besides the reasons of package auth.
const reasonIPDenied = "ip_denied"

// withIPGuard applies the deny list to every request, and to the
// requests of routes that check credentials (/api/, and /metrics with
// TASKQ_METRICS_AUTH) the temporary block after repeated authentication
// failures and, for /api/ routes that match no pattern, the per-client
// rate limit (matched routes are limited by their policy). Clients are
// keyed by auth.IPGuard.ClientKey: an IPv6 /64 is one client.
func (s *Server) withIPGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := auth.ClientIP(r, s.cfg.TrustedProxies)
		info := infoOf(r.Context())
		if ip.IsValid() {
			info.clientIP = ip.String()
			info.clientKey = s.guard.ClientKey(ip)
		}
		api := strings.HasPrefix(r.URL.Path, "/api/")
		credentialed := api || (s.cfg.MetricsAuth && r.URL.Path == "/metrics")
		if s.guard.Denied(ip) {
			s.metrics.AuthFailure(reasonIPDenied)
			if api {
				s.ipLimitHeaders(w, 0)
			}
			s.writeError(w, r, apiError(taskq.CodeForbidden, "requests from this address are denied"))
			return
		}
		if !credentialed {
			next.ServeHTTP(w, r)
			return
		}
		if blocked, left := s.guard.Blocked(ip); blocked {
			s.metrics.RateLimitExceeded(metrics.ScopeIPBlocked)
			s.ipLimitHeaders(w, left)
			s.tooMany(w, r, left, "too many failed authentications from this address")
			return
		}
		if _, pattern := s.mux.Handler(r); pattern == "" && api {
			if !s.limit(w, r, metrics.ScopeIP, "ip:"+info.clientKey, s.ipLimit) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// ipLimitHeaders writes RateLimit-* for a request refused before any
// limiter decision: nothing remains until reset.
func (s *Server) ipLimitHeaders(w http.ResponseWriter, reset time.Duration) {
	auth.Decision{Allowed: true, Limit: s.ipLimit.Burst, Remaining: 0, ResetAfter: reset}.SetHeaders(w.Header())
}

// tooMany answers 429 with Retry-After.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, after time.Duration, msg string) {
	secs := max(1, int((after+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	e := apiError(taskq.CodeRateLimitExceeded, fmt.Sprintf("%s; retry in %d s", msg, secs))
	s.writeError(w, r, e)
}

// limit applies a rate limit to key, writes the RateLimit-* headers and,
// when the limit is exceeded, answers 429 and returns false.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, scope, key string, l auth.Limit) bool {
	d, err := s.limiter.Allow(r.Context(), key, l)
	if err != nil {
		s.writeError(w, r, err)
		return false
	}
	d.SetHeaders(w.Header())
	if !d.Allowed {
		s.metrics.RateLimitExceeded(scope)
		s.tooMany(w, r, d.RetryAfter, "rate limit exceeded")
		return false
	}
	return true
}

// handlerFunc is a route handler; p is the zero Principal on public and
// token routes. A returned error is answered by writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

// route registers pattern on the mux behind its policy.
func (s *Server) route(pattern string, pol policy, h handlerFunc) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoOf(r.Context())
		info.route = pattern
		var p auth.Principal
		switch pol {
		case open:
			if !s.limit(w, r, metrics.ScopeIP, "ip:"+info.clientKey, s.ipLimit) {
				return
			}
		case public:
			if !s.limit(w, r, metrics.ScopeIP, "public:"+info.clientKey, s.ipLimit) {
				return
			}
		case token:
			if !s.limit(w, r, metrics.ScopeAuthToken, "token:"+info.clientKey, s.tokenLimit) {
				return
			}
		case user, admin:
			var ok bool
			if p, ok = s.authenticate(w, r); !ok {
				return
			}
			info.principal = p.ID
			if !s.limit(w, r, metrics.ScopePrincipal, "principal:"+p.ID, s.principalLimit) {
				return
			}
			if pol == admin && !p.CanAdmin() {
				s.writeError(w, r, apiError(taskq.CodeForbidden, "this endpoint needs the admin role"))
				return
			}
		}
		if err := h(w, r, p); err != nil {
			s.writeError(w, r, err)
		}
	}))
}

// authenticate reads the request's credentials. On failure it counts the
// failure (toward the IP block when it is one), applies the per-IP rate
// limit, answers 401 (or 429) and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, err := s.authn.AuthenticateRequest(r.Context(), r.Header)
	if err == nil {
		return p, true
	}
	reason := auth.ReasonOf(err)
	if reason == "" { // the key store failed: 503 or 500, not the caller's fault
		s.writeError(w, r, err)
		return auth.Principal{}, false
	}
	info := infoOf(r.Context())
	if auth.CountsAsFailure(err) {
		s.metrics.AuthFailure(string(reason))
		s.recordFailure(r)
	}
	if !s.limit(w, r, metrics.ScopeIP, "ip:"+info.clientKey, s.ipLimit) {
		return auth.Principal{}, false
	}
	s.writeError(w, r, err)
	return auth.Principal{}, false
}

// recordFailure counts a failed authentication of the request's client
// IP and logs when it blocks the address.
func (s *Server) recordFailure(r *http.Request) {
	info := infoOf(r.Context())
	ip, _ := netip.ParseAddr(info.clientIP)
	if blocked, left := s.guard.RecordFailure(ip); blocked && left >= s.cfg.AuthBlock {
		s.log.WarnContext(r.Context(), "client IP blocked after repeated authentication failures",
			"client_ip", info.clientIP, "block", s.cfg.AuthBlock, "request_id", info.id)
	}
}
