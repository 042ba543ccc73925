package metrics

import "github.com/prometheus/client_golang/prometheus"

// newUniqueFamilies builds tasks_unique_conflicts_total.
func (m *Metrics) newUniqueFamilies(cfg Config) []family {
	m.uniqueConflicts = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: cfg.Namespace,
		Name:      "tasks_unique_conflicts_total",
		Help:      "Enqueues of unique tasks answered with the existing task instead of a new one.",
	})
	return []family{{"tasks_unique_conflicts_total", m.uniqueConflicts}}
}

// UniqueConflict counts an enqueue of a unique task answered with the
// existing task, in tasks_unique_conflicts_total.
func (m *Metrics) UniqueConflict() { m.uniqueConflicts.Inc() }
