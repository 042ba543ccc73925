package auth

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Limit is a GCRA rate: Rate events per Period on average, with bursts of
// up to Burst events. The zero Period means one second; the zero Burst
// means max(1, ceil(Rate)).
type Limit struct {
	// Rate is the sustained number of events per Period; it must be > 0.
	Rate float64
	// Period is the time unit of Rate; default 1s.
	Period time.Duration
	// Burst is how many events may pass at once after a quiet spell.
	Burst int
}

// PerSecond returns a Limit of rate events per second with burst.
func PerSecond(rate float64, burst int) Limit {
	return Limit{Rate: rate, Period: time.Second, Burst: burst}
}

// PerMinute returns a Limit of rate events per minute with burst.
func PerMinute(rate float64, burst int) Limit {
	return Limit{Rate: rate, Period: time.Minute, Burst: burst}
}

// errBadLimit is returned for a Limit with a non-positive or absurd rate.
var errBadLimit = errors.New("auth: rate limit needs Rate > 0 and Burst >= 0")

// params returns the emission interval T (time per event, at least unit)
// and the burst, in units of unit.
func (l Limit) params(unit time.Duration) (t, burst int64, err error) {
	if !(l.Rate > 0) || math.IsInf(l.Rate, 0) || l.Burst < 0 || l.Period < 0 {
		return 0, 0, errBadLimit
	}
	period := l.Period
	if period == 0 {
		period = time.Second
	}
	b := int64(l.Burst)
	if b == 0 {
		b = max(1, int64(math.Ceil(l.Rate)))
	}
	t = int64(math.Round(float64(period) / l.Rate / float64(unit)))
	return max(t, 1), b, nil
}

// Decision is the outcome of Limiter.Allow.
type Decision struct {
	// Allowed tells whether the event may proceed.
	Allowed bool
	// Limit is the burst size (RateLimit-Limit).
	Limit int
	// Remaining is how many more events would pass right now
	// (RateLimit-Remaining).
	Remaining int
	// ResetAfter is the time until the full burst is available again
	// (RateLimit-Reset).
	ResetAfter time.Duration
	// RetryAfter is, when denied, the time until the next event may pass
	// (Retry-After); 0 when allowed.
	RetryAfter time.Duration
}

// gcra decides one event at now for the stored theoretical arrival time tat
// (0 = unknown), emission interval t and burst b, all in one time unit. It
// returns the tat to store (only meaningful when allowed).
func gcra(tat, now, t, b int64) (int64, Decision) {
	tat = max(tat, now)
	newTat := tat + t
	allowAt := newTat - b*t
	if now < allowAt {
		return tat, Decision{Limit: int(b), ResetAfter: time.Duration(tat - now), RetryAfter: time.Duration(allowAt - now)}
	}
	return newTat, Decision{
		Allowed:    true,
		Limit:      int(b),
		Remaining:  int((now - allowAt) / t),
		ResetAfter: time.Duration(newTat - now),
	}
}

// ResetSeconds is ResetAfter in whole seconds, rounded up.
func (d Decision) ResetSeconds() int { return ceilSeconds(d.ResetAfter) }

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least 1
// when denied and 0 when allowed.
func (d Decision) RetryAfterSeconds() int {
	if d.Allowed {
		return 0
	}
	return max(1, ceilSeconds(d.RetryAfter))
}

// SetHeaders writes RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset (integer seconds), plus Retry-After when denied.
func (d Decision) SetHeaders(h http.Header) {
	// The keys in their canonical form (textproto.CanonicalMIMEHeaderKey),
	// so that Set need not build it for every response.
	h.Set("Ratelimit-Limit", strconv.Itoa(d.Limit))
	h.Set("Ratelimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("Ratelimit-Reset", strconv.Itoa(d.ResetSeconds()))
	if !d.Allowed {
		h.Set("Retry-After", strconv.Itoa(d.RetryAfterSeconds()))
	}
}

func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// Limiter decides whether an event keyed by key (a principal or a client
// IP, namespaced by the caller per scope, for example "ip:"+addr) fits
// limit. Implementations are safe for concurrent use. A denied event
// consumes nothing.
type Limiter interface {
	// Allow records the event if it fits and reports the decision. Errors
	// are only for an invalid limit or an unreachable backend.
	Allow(ctx context.Context, key string, limit Limit) (Decision, error)
}
