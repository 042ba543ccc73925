package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/taskq/taskq"
)

// Other is the label value that stands for every value beyond a label's cap
// (and for empty, over-long or non-UTF-8 values), so label cardinality
// stays bounded.
const Other = "other"

// Unmatched is the route label of requests that matched no mux pattern
// (404, 405).
const Unmatched = "unmatched"

// Rate-limit scopes pre-created by default (label scope of
// rate_limit_exceeded_total).
const (
	// ScopePrincipal: the per-principal limit of authenticated calls.
	ScopePrincipal = "principal"
	// ScopeIP: the per-client-IP limit of unauthenticated calls.
	ScopeIP = "ip"
	// ScopeAuthToken: the stricter limit of POST /api/auth/token.
	ScopeAuthToken = "auth_token"
	// ScopeIPBlocked: a request refused because its IP is temporarily
	// blocked after repeated authentication failures.
	ScopeIPBlocked = "ip_blocked"
)

// Circuit breaker states as exported by circuit_breaker_state.
const (
	// BreakerClosed: calls flow.
	BreakerClosed = 0
	// BreakerHalfOpen: trial calls are let through.
	BreakerHalfOpen = 1
	// BreakerOpen: calls are refused.
	BreakerOpen = 2
)

// DefaultRateLimitScopes are the scopes pre-created when
// Config.RateLimitScopes is nil.
var DefaultRateLimitScopes = []string{ScopePrincipal, ScopeIP, ScopeAuthToken, ScopeIPBlocked}

// DefaultAuthReasons are the reasons pre-created when Config.AuthReasons is
// nil: the failure reasons of package auth (auth.Reasons without
// no_credentials, which is not a failed authentication), so that
// m.AuthFailure(string(auth.ReasonOf(err))) lands on a pre-created series.
var DefaultAuthReasons = []string{
	"malformed", "invalid_algorithm", "invalid_signature", "expired", "not_yet_valid",
	"invalid_issuer", "invalid_audience", "invalid_claims", "unknown_key", "revoked", "key_expired",
}

// Quota limits as counted by quota_exceeded_total{limit}.
const (
	// QuotaPendingTasks: an owner's pending, running or failed tasks.
	QuotaPendingTasks = "pending_tasks"
	// QuotaMetadataBytes: the metadata bytes an owner's tasks store.
	QuotaMetadataBytes = "metadata_bytes"
)

// DefaultQuotaLimits are the limits pre-created when Config.QuotaLimits is
// nil.
var DefaultQuotaLimits = []string{QuotaPendingTasks, QuotaMetadataBytes}

// Config configures Metrics. The zero value works; each field names its
// default.
type Config struct {
	// Namespace, when set, prefixes every family name with it and an
	// underscore: "taskq" exports taskq_tasks_processed_total and so on.
	// Set it when the host's registry already has families of the same
	// names (http_requests_total is common). The dashboards and alerting
	// rules shipped next to this package use the names without namespace.
	// It must be a letter followed by letters, digits and underscores, and
	// not end with an underscore (ValidateNamespace). Default empty: no
	// prefix.
	Namespace string

	// Queue is read at scrape time for task_queue_size. Nil: the family
	// task_queue_size is not exported.
	Queue taskq.Queue
	// Queues are queue names always reported by task_queue_size, in
	// addition to those Queue.Queues lists. Default ["default"].
	Queues []string
	// DLQSize, when set, is called at scrape time for dlq_size (pass the
	// DeadLetterQueue's Size method). Nil: dlq_size is the last value given
	// to SetDLQSize.
	DLQSize func(ctx context.Context) (int, error)
	// Paused, when set, is called at scrape time for queue_paused (pass
	// the storage's PausedQueues, taskq.QueuePauser). Nil: the family is
	// not exported.
	Paused func(ctx context.Context) ([]string, error)
	// Leaders, when set, is called at scrape time for
	// leader_is_leader{name}: the leader elections this process campaigns
	// in, by name, each with whether it leads now (leader.Elector.Leader).
	// It must not block. Nil: the family is not exported.
	Leaders func() map[string]bool
	// ScrapeTimeout bounds the backend calls made by one scrape (Queue,
	// DLQSize and Paused). Default 2s.
	ScrapeTimeout time.Duration

	// TaskTypes are the registered task types, pre-created for
	// tasks_processed_total, task_processing_duration_seconds and
	// tasks_unhandled_total.
	TaskTypes []string
	// Routes are the HTTP mux patterns served (e.g. "GET /api/tasks/{id}"
	// or "/health"), pre-created for http_requests_total (code "200") and
	// http_request_duration_seconds; a pattern without a method is
	// pre-created for GET.
	Routes []string
	// Schedules are the names of the periodic schedules (package
	// periodic), pre-created for periodic_last_run_timestamp_seconds,
	// periodic_next_run_timestamp_seconds and periodic_failures_total.
	// Nil: those families are not exported.
	Schedules []string
	// Breakers are the circuit breaker names, pre-created for
	// circuit_breaker_trips_total and circuit_breaker_state.
	Breakers []string
	// RateLimitScopes are pre-created for rate_limit_exceeded_total.
	// Nil: DefaultRateLimitScopes.
	RateLimitScopes []string
	// AuthReasons are pre-created for auth_failures_total.
	// Nil: DefaultAuthReasons.
	AuthReasons []string
	// QuotaLimits are pre-created for quota_exceeded_total. Nil:
	// DefaultQuotaLimits.
	QuotaLimits []string
	// MaxLabelValues caps the distinct values of each dynamic label (task
	// type, route, breaker, scope, reason, queue); values beyond it are
	// reported as Other. Pre-created values count towards the cap but are
	// always kept. Default 100.
	MaxLabelValues int

	// RateWindow is the sliding window of task_processing_rate and
	// task_error_rate, whole seconds. Default 1m.
	RateWindow time.Duration
	// SampleInterval is how often the sampler started by Start publishes
	// system_cpu_usage, system_memory_usage_bytes and
	// system_event_loop_lag_seconds. Default 5s.
	SampleInterval time.Duration
	// LagProbeInterval is the period of the timer whose lateness is
	// measured; system_event_loop_lag_seconds is the largest lateness seen
	// during the last SampleInterval. Default 100ms (at most
	// SampleInterval).
	LagProbeInterval time.Duration

	// TaskDurationBuckets are the buckets of
	// task_processing_duration_seconds. Default 5ms to 5m.
	TaskDurationBuckets []float64
	// StartDelayBuckets are the buckets of task_start_delay_seconds.
	// Default 1ms to 5m.
	StartDelayBuckets []float64
	// HTTPDurationBuckets are the buckets of http_request_duration_seconds.
	// Default prometheus.DefBuckets (5ms to 10s).
	HTTPDurationBuckets []float64

	// Logger receives scrape-time backend errors (at warn). Nil: discarded.
	Logger *slog.Logger
	// Now returns the current time (tests). Nil: time.Now.
	Now func() time.Time
}

// defaultStartDelayBuckets cover a task taken at once to one waiting
// behind minutes of backlog.
var defaultStartDelayBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// defaultTaskDurationBuckets cover quick handlers to five-minute jobs.
var defaultTaskDurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// dlqCleanupBuckets cover a few rows to a large purge.
var dlqCleanupBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60}

// namespaceRE is what ValidateNamespace accepts.
var namespaceRE = regexp.MustCompile(`^[a-zA-Z](?:[a-zA-Z0-9_]*[a-zA-Z0-9])?$`)

// ValidateNamespace reports whether ns can be used as Config.Namespace:
// empty, or a letter followed by letters, digits and underscores, not
// ending with an underscore.
func ValidateNamespace(ns string) error {
	if ns == "" || namespaceRE.MatchString(ns) {
		return nil
	}
	return fmt.Errorf("metrics: namespace %q: want a letter followed by letters, digits and underscores, not ending with an underscore", ns)
}

func (c Config) withDefaults() Config {
	if len(c.Queues) == 0 {
		c.Queues = []string{taskq.DefaultQueue}
	}
	if c.ScrapeTimeout <= 0 {
		c.ScrapeTimeout = 2 * time.Second
	}
	if c.RateLimitScopes == nil {
		c.RateLimitScopes = DefaultRateLimitScopes
	}
	if c.AuthReasons == nil {
		c.AuthReasons = DefaultAuthReasons
	}
	if c.QuotaLimits == nil {
		c.QuotaLimits = DefaultQuotaLimits
	}
	if c.MaxLabelValues <= 0 {
		c.MaxLabelValues = 100
	}
	if c.RateWindow < time.Second {
		c.RateWindow = time.Minute
	}
	if c.SampleInterval <= 0 {
		c.SampleInterval = 5 * time.Second
	}
	if c.LagProbeInterval <= 0 {
		c.LagProbeInterval = 100 * time.Millisecond
	}
	c.LagProbeInterval = min(c.LagProbeInterval, c.SampleInterval)
	if len(c.StartDelayBuckets) == 0 {
		c.StartDelayBuckets = defaultStartDelayBuckets
	}
	if len(c.TaskDurationBuckets) == 0 {
		c.TaskDurationBuckets = defaultTaskDurationBuckets
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
