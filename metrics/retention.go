package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/taskq/taskq"
)

var _ taskq.RetentionObserver = (*Metrics)(nil)

// newRetentionCounter builds tasks_retention_deleted_total.
func newRetentionCounter(cfg Config) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "tasks_retention_deleted_total",
		Help:      "Completed and cancelled tasks deleted once older than the task retention period.",
	})
}

// FinishedDeleted implements taskq.RetentionObserver: it adds n to
// tasks_retention_deleted_total.
func (m *Metrics) FinishedDeleted(n int) {
	if n > 0 {
		m.retentionDeleted.Add(float64(n))
	}
}
