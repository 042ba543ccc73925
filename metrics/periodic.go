package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// scheduleChildren are the series of one periodic schedule.
type scheduleChildren struct {
	lastRun, nextRun prometheus.Gauge
	failures         prometheus.Counter

	mu   sync.Mutex
	last float64 // the value of lastRun
}

// newScheduleFamilies builds the periodic_* families with a series per
// configured schedule.
func (m *Metrics) newScheduleFamilies(cfg Config) []family {
	lastRun := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: cfg.Namespace,
		Name:      "periodic_last_run_timestamp_seconds",
		Help:      "Tick (scheduled time) of the latest task of a periodic schedule this replica enqueued or found enqueued, in Unix seconds; 0 before the first.",
	}, []string{"schedule"})
	nextRun := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: cfg.Namespace,
		Name:      "periodic_next_run_timestamp_seconds",
		Help:      "Next tick of a periodic schedule, in Unix seconds.",
	}, []string{"schedule"})
	failures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "periodic_failures_total",
		Help:      "Failed attempts to enqueue the task of a periodic schedule's tick, by schedule.",
	}, []string{"schedule"})
	m.schedules = newLabelSet(cfg.MaxLabelValues, func(v string) *scheduleChildren {
		return &scheduleChildren{lastRun: lastRun.WithLabelValues(v), nextRun: nextRun.WithLabelValues(v),
			failures: failures.WithLabelValues(v)}
	}, cfg.Schedules...)
	return []family{
		{"periodic_last_run_timestamp_seconds", lastRun},
		{"periodic_next_run_timestamp_seconds", nextRun},
		{"periodic_failures_total", failures},
	}
}

// PeriodicRun implements periodic.Observer:
// periodic_last_run_timestamp_seconds{schedule} becomes tick (it never
// moves back). Without Config.Schedules it does nothing.
func (m *Metrics) PeriodicRun(schedule string, tick time.Time) {
	if m.schedules == nil {
		return
	}
	_, c := m.schedules.get(schedule)
	v := float64(tick.UnixNano()) / 1e9
	c.mu.Lock()
	defer c.mu.Unlock()
	if v > c.last {
		c.last = v
		c.lastRun.Set(v)
	}
}

// PeriodicNext implements periodic.Observer:
// periodic_next_run_timestamp_seconds{schedule}.
func (m *Metrics) PeriodicNext(schedule string, next time.Time) {
	if m.schedules == nil {
		return
	}
	_, c := m.schedules.get(schedule)
	c.nextRun.Set(float64(next.UnixNano()) / 1e9)
}

// PeriodicFailure implements periodic.Observer: periodic_failures_total{schedule}.
func (m *Metrics) PeriodicFailure(schedule string) {
	if m.schedules == nil {
		return
	}
	_, c := m.schedules.get(schedule)
	c.failures.Inc()
}
