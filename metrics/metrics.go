package metrics

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/periodic"
)

// Metrics holds every taskq metric family, registered on one Registerer.
// It implements taskq.Observer; all methods are safe for concurrent use.
type Metrics struct {
	cfg Config
	log *slog.Logger

	cpu, mem, lag prometheus.Gauge
	proc          *procStats

	processed    *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	startDelay   *prometheus.HistogramVec
	types        *labelSet[*typeChildren]
	processedWin *window
	errorWin     *window
	recovered    *labelSet[prometheus.Counter]
	orphaned     prometheus.Counter
	unhandled    *labelSet[prometheus.Counter]
	// uniqueConflicts counts unique enqueues answered with the existing
	// task (unique.go).
	uniqueConflicts prometheus.Counter

	retentionDeleted prometheus.Counter

	dlqSize        *dlqSizeCollector
	dlqCleaned     prometheus.Counter
	dlqEvicted     prometheus.Counter
	dlqEvictedBy   *labelSet[prometheus.Counter]
	dlqRemaining   prometheus.Gauge
	dlqCleanupDur  prometheus.Histogram
	dlqCleanupOK   prometheus.Counter
	dlqCleanupFail prometheus.Counter

	rateLimited  *labelSet[prometheus.Counter]
	quotas       *labelSet[prometheus.Counter]
	authFailures *labelSet[prometheus.Counter]
	breakers     *labelSet[breakerChildren]

	schedules *labelSet[*scheduleChildren]

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	routes       *labelSet[struct{}]

	names []string // effective family names, in registration order

	mu      sync.Mutex // guards the sampler
	stop    func()
	stopped chan struct{}
}

var (
	_ taskq.Observer    = (*Metrics)(nil)
	_ periodic.Observer = (*Metrics)(nil)
)

// FamilyNames returns the names of the metric families m registered, as
// exported: prefixed by Config.Namespace (task_queue_size only when
// Config.Queue is set).
func (m *Metrics) FamilyNames() []string { return slices.Clone(m.names) }

// New builds the metrics and registers them on reg. Known label values
// from cfg are pre-created so every series exists from start-up. It fails
// when reg is nil, Config.Namespace is invalid, or a name is already
// registered there by another collector: the error names every colliding
// family, and nothing of taskq stays registered then. A host whose own
// metrics use names such as http_requests_total sets Config.Namespace.
func New(reg prometheus.Registerer, cfg Config) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: nil Registerer: pass prometheus.NewRegistry() or prometheus.DefaultRegisterer")
	}
	if err := ValidateNamespace(cfg.Namespace); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m := &Metrics{cfg: cfg, log: cfg.Logger.With("component", "metrics"), proc: newProcStats()}

	m.cpu = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: cfg.Namespace,
		Name:      "system_cpu_usage",
		Help:      "CPU used by this process (user+system, as process_cpu_seconds_total) over the last sample interval, in percent of one core.",
	})
	m.mem = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: cfg.Namespace,
		Name:      "system_memory_usage_bytes",
		Help:      "Resident set size of this process (as process_resident_memory_bytes; where that is unknown, memory mapped by the Go runtime), in bytes.",
	})
	m.lag = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: cfg.Namespace,
		Name:      "system_event_loop_lag_seconds",
		Help:      "Largest lateness of a periodic timer during the last sample interval (Go scheduler latency), in seconds.",
	})

	m.processed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "tasks_processed_total",
		Help:      "Task attempts finished, by task type and status (completed, failed, dead_letter, cancelled, rescheduled).",
	}, []string{"type", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: cfg.Namespace,
		Name:      "task_processing_duration_seconds",
		Help:      "Duration of task attempts (rescheduled ones excluded), by task type, in seconds.",
		Buckets:   cfg.TaskDurationBuckets,
	}, []string{"type"})
	m.startDelay = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: cfg.Namespace,
		Name:      "task_start_delay_seconds",
		Help:      "Time from a task being due (created, or its retry or scheduled time) to its handler starting, by queue, in seconds.",
		Buckets:   cfg.StartDelayBuckets,
	}, []string{"queue"})
	for _, q := range cfg.Queues {
		m.startDelay.WithLabelValues(q)
	}
	m.types = newLabelSet(cfg.MaxLabelValues, m.newTypeChildren, cfg.TaskTypes...)
	m.processedWin = newWindow(cfg.RateWindow, cfg.Now)
	m.errorWin = newWindow(cfg.RateWindow, cfg.Now)
	processingRate := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: cfg.Namespace,
		Name:      "task_processing_rate",
		Help:      "Task attempts finished (rescheduled ones excluded) per minute, over a sliding window.",
	}, m.processedWin.perMinute)
	errorRate := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: cfg.Namespace,
		Name:      "task_error_rate",
		Help:      "Task attempts failed (status failed or dead_letter) per minute, over a sliding window.",
	}, m.errorWin.perMinute)
	recovered := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "tasks_recovered_total",
		Help:      "Tasks brought back by the reaper (lease_expired) or the reconciler (reconciled).",
	}, []string{"reason"})
	m.recovered = newLabelSet(cfg.MaxLabelValues, counterChild(recovered),
		taskq.RecoveredLeaseExpired, taskq.RecoveredReconciled)

	m.orphaned = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "tasks_orphaned_total",
		Help:      "Leased task ids without a record in the storage, dropped (two deployments sharing one queue prefix?).",
	})
	unhandled := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "tasks_unhandled_total",
		Help:      "Tasks put back because no handler of their type is registered on the worker that leased them, by task type.",
	}, []string{"type"})
	m.unhandled = newLabelSet(cfg.MaxLabelValues, counterChild(unhandled), cfg.TaskTypes...)

	m.retentionDeleted = newRetentionCounter(cfg)
	m.dlqSize = newDLQSizeCollector(cfg, m.log)
	m.dlqCleaned = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "dlq_tasks_cleaned_total",
		Help:      "Dead letter entries purged by cleanup runs or evicted by the size cap.",
	})
	m.dlqEvicted = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "dlq_tasks_evicted_total",
		Help:      "Dead letter entries evicted by the size cap (also counted in dlq_tasks_cleaned_total).",
	})
	evictedBy := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "dlq_tasks_evicted_by_owner_total",
		Help:      "Dead letter entries evicted by the size cap, by the owner of the entry (" + NoOwner + " for tasks without one).",
	}, []string{"owner"})
	m.dlqEvictedBy = newLabelSet(cfg.MaxLabelValues, counterChild(evictedBy), NoOwner)
	m.dlqRemaining = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: cfg.Namespace,
		Name:      "dlq_tasks_remaining",
		Help:      "Dead letter entries left after the last successful cleanup run.",
	})
	m.dlqCleanupDur = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: cfg.Namespace,
		Name:      "dlq_cleanup_duration_seconds",
		Help:      "Duration of dead letter cleanup runs, in seconds.",
		Buckets:   dlqCleanupBuckets,
	})
	m.dlqCleanupOK = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "dlq_cleanup_success_total",
		Help:      "Dead letter cleanup runs that succeeded.",
	})
	m.dlqCleanupFail = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "dlq_cleanup_failure_total",
		Help:      "Dead letter cleanup runs that failed.",
	})

	rateLimited := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "rate_limit_exceeded_total",
		Help:      "Requests refused by a rate limit or a temporary IP block, by scope.",
	}, []string{"scope"})
	m.rateLimited = newLabelSet(cfg.MaxLabelValues, counterChild(rateLimited), cfg.RateLimitScopes...)
	quotas := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "quota_exceeded_total",
		Help:      "Tasks refused because their owner's quota is used up, by limit (pending_tasks, metadata_bytes).",
	}, []string{"limit"})
	m.quotas = newLabelSet(cfg.MaxLabelValues, counterChild(quotas), cfg.QuotaLimits...)
	authFailures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "auth_failures_total",
		Help:      "Failed authentications, by reason.",
	}, []string{"reason"})
	m.authFailures = newLabelSet(cfg.MaxLabelValues, counterChild(authFailures), cfg.AuthReasons...)
	trips := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "circuit_breaker_trips_total",
		Help:      "Transitions of a circuit breaker to open, by breaker.",
	}, []string{"breaker"})
	state := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: cfg.Namespace,
		Name:      "circuit_breaker_state",
		Help:      "State of a circuit breaker: 0 closed, 1 half-open, 2 open.",
	}, []string{"breaker"})
	m.breakers = newLabelSet(cfg.MaxLabelValues, func(v string) breakerChildren {
		return breakerChildren{trips: trips.WithLabelValues(v), state: state.WithLabelValues(v)}
	}, cfg.Breakers...)

	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "http_requests_total",
		Help:      "HTTP requests served, by method, route pattern and status code.",
	}, []string{"method", "route", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: cfg.Namespace,
		Name:      "http_request_duration_seconds",
		Help:      "Duration of HTTP requests, by method and route pattern, in seconds.",
		Buckets:   cfg.HTTPDurationBuckets,
	}, []string{"method", "route"})
	m.routes = newLabelSet(cfg.MaxLabelValues, func(string) struct{} { return struct{}{} })
	for _, p := range cfg.Routes {
		method, route := splitPattern(p)
		if method == "" {
			method = "GET"
		}
		method = normMethod(method)
		route, _ = m.routes.get(route)
		m.httpRequests.WithLabelValues(method, route, "200")
		m.httpDuration.WithLabelValues(method, route)
	}

	fams := []family{
		{"system_cpu_usage", m.cpu}, {"system_memory_usage_bytes", m.mem}, {"system_event_loop_lag_seconds", m.lag},
		{"tasks_processed_total", m.processed}, {"task_processing_duration_seconds", m.duration},
		{"task_start_delay_seconds", m.startDelay},
		{"task_processing_rate", processingRate}, {"task_error_rate", errorRate},
		{"tasks_recovered_total", recovered}, {"tasks_orphaned_total", m.orphaned}, {"tasks_unhandled_total", unhandled},
		{"tasks_retention_deleted_total", m.retentionDeleted},
		{"dlq_size", m.dlqSize}, {"dlq_tasks_cleaned_total", m.dlqCleaned}, {"dlq_tasks_evicted_total", m.dlqEvicted},
		{"dlq_tasks_evicted_by_owner_total", evictedBy},
		{"dlq_tasks_remaining", m.dlqRemaining}, {"dlq_cleanup_duration_seconds", m.dlqCleanupDur},
		{"dlq_cleanup_success_total", m.dlqCleanupOK}, {"dlq_cleanup_failure_total", m.dlqCleanupFail},
		{"rate_limit_exceeded_total", rateLimited}, {"quota_exceeded_total", quotas}, {"auth_failures_total", authFailures},
		{"circuit_breaker_trips_total", trips}, {"circuit_breaker_state", state},
		{"http_requests_total", m.httpRequests}, {"http_request_duration_seconds", m.httpDuration},
	}
	if cfg.Queue != nil {
		fams = append(fams, family{"task_queue_size", newQueueSizeCollector(cfg, m.log)})
	}
	if cfg.Paused != nil {
		fams = append(fams, family{"queue_paused", newPausedCollector(cfg, m.log)})
	}
	if cfg.Leaders != nil {
		fams = append(fams, family{"leader_is_leader", newLeaderCollector(cfg)})
	}
	if cfg.Schedules != nil {
		fams = append(fams, m.newScheduleFamilies(cfg)...)
	}
	fams = append(fams, m.newUniqueFamilies(cfg)...)
	if err := m.register(reg, fams); err != nil {
		return nil, err
	}
	return m, nil
}

// family is one collector and the unprefixed name of the family it exports.
type family struct {
	name string
	c    prometheus.Collector
}

// register registers every family on reg, or none: it tries them all so
// that the error names every collision, then unregisters what it did
// register.
func (m *Metrics) register(reg prometheus.Registerer, fams []family) error {
	var errs []error
	var done []prometheus.Collector
	for _, f := range fams {
		name := prometheus.BuildFQName(m.cfg.Namespace, "", f.name)
		if err := reg.Register(f.c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		done = append(done, f.c)
		m.names = append(m.names, name)
	}
	if len(errs) == 0 {
		return nil
	}
	for _, c := range done {
		reg.Unregister(c)
	}
	m.names = nil
	hint := "set Config.Namespace (e.g. \"taskq\") to prefix taskq's names"
	if m.cfg.Namespace != "" {
		hint = "choose another Config.Namespace"
	}
	return fmt.Errorf("metrics: %d of taskq's metric families collide with collectors already registered (%s): %w",
		len(errs), hint, errors.Join(errs...))
}

// typeChildren are the series of one task type.
type typeChildren struct {
	processed [len(outcomes)]prometheus.Counter
	duration  prometheus.Observer
}

// outcomes are the statuses pre-created for every task type.
var outcomes = [...]taskq.Outcome{
	taskq.OutcomeCompleted, taskq.OutcomeRetry, taskq.OutcomeDeadLetter,
	taskq.OutcomeCancelled, taskq.OutcomeRescheduled,
}

func (m *Metrics) newTypeChildren(typ string) *typeChildren {
	c := &typeChildren{duration: m.duration.WithLabelValues(typ)}
	for i, o := range outcomes {
		c.processed[i] = m.processed.WithLabelValues(typ, string(o))
	}
	return c
}

// breakerChildren are the series of one breaker.
type breakerChildren struct {
	trips prometheus.Counter
	state prometheus.Gauge
}

func counterChild(v *prometheus.CounterVec) func(string) prometheus.Counter {
	return func(l string) prometheus.Counter { return v.WithLabelValues(l) }
}

// splitPattern splits a ServeMux pattern "[METHOD ][HOST]/PATH" into its
// method (possibly empty) and the rest.
func splitPattern(p string) (method, route string) {
	p = strings.TrimSpace(p)
	if i := strings.IndexAny(p, " \t"); i >= 0 {
		return p[:i], strings.TrimSpace(p[i+1:])
	}
	return "", p
}
