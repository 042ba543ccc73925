package metrics

import (
	"time"

	"github.com/taskq/taskq"
)

// TaskFinished implements taskq.Observer: it counts the attempt in
// tasks_processed_total{type,status=outcome}; unless the outcome is
// rescheduled it also observes task_processing_duration_seconds and counts
// towards task_processing_rate, and failed and dead_letter outcomes count
// towards task_error_rate.
func (m *Metrics) TaskFinished(taskType string, outcome taskq.Outcome, d time.Duration) {
	_, c := m.types.get(taskType)
	i := outcomeIndex(outcome)
	if i < 0 {
		typ, _ := m.types.get(taskType)
		m.processed.WithLabelValues(typ, Other).Inc()
	} else {
		c.processed[i].Inc()
	}
	if outcome == taskq.OutcomeRescheduled {
		return
	}
	c.duration.Observe(d.Seconds())
	m.processedWin.add(1)
	if outcome == taskq.OutcomeRetry || outcome == taskq.OutcomeDeadLetter {
		m.errorWin.add(1)
	}
}

// TaskStarted implements taskq.StartObserver: it observes
// task_start_delay_seconds{queue}.
func (m *Metrics) TaskStarted(queue string, wait time.Duration) {
	m.startDelay.WithLabelValues(queue).Observe(wait.Seconds())
}

func outcomeIndex(o taskq.Outcome) int {
	for i, v := range outcomes {
		if v == o {
			return i
		}
	}
	return -1
}

// TaskRecovered implements taskq.Observer: tasks_recovered_total{reason}.
func (m *Metrics) TaskRecovered(reason string) {
	_, c := m.recovered.get(reason)
	c.Inc()
}

// DeadLetterMoved implements taskq.Observer: evicted entries are added to
// dlq_tasks_evicted_total and dlq_tasks_cleaned_total. dlq_size itself
// comes from Config.DLQSize or SetDLQSize.
func (m *Metrics) DeadLetterMoved(evicted int) {
	if evicted > 0 {
		m.dlqEvicted.Add(float64(evicted))
		m.dlqCleaned.Add(float64(evicted))
	}
}

// NoOwner is the owner label of dlq_tasks_evicted_by_owner_total for
// tasks without an owner.
const NoOwner = "_none"

// DeadLetterEvicted implements taskq.EvictionObserver:
// dlq_tasks_evicted_by_owner_total{owner}. The owner label takes at most
// Config.MaxLabelValues values; later owners are reported as Other.
func (m *Metrics) DeadLetterEvicted(owner string, n int) {
	if n <= 0 {
		return
	}
	if owner == "" {
		owner = NoOwner
	}
	_, c := m.dlqEvictedBy.get(owner)
	c.Add(float64(n))
}

// DeadLetterCleanup implements taskq.Observer: it observes
// dlq_cleanup_duration_seconds, adds cleaned to dlq_tasks_cleaned_total
// (also after a failure: what was purged is gone), and counts the run in
// dlq_cleanup_success_total and sets dlq_tasks_remaining, or counts it in
// dlq_cleanup_failure_total when err is not nil.
func (m *Metrics) DeadLetterCleanup(cleaned, remaining int, d time.Duration, err error) {
	m.dlqCleanupDur.Observe(d.Seconds())
	if cleaned > 0 {
		m.dlqCleaned.Add(float64(cleaned))
	}
	if err != nil {
		m.dlqCleanupFail.Inc()
		return
	}
	m.dlqCleanupOK.Inc()
	m.dlqRemaining.Set(float64(max(remaining, 0)))
}

// TaskOrphaned implements taskq.Observer: tasks_orphaned_total.
func (m *Metrics) TaskOrphaned(string) { m.orphaned.Inc() }

// TaskUnhandled implements taskq.Observer: tasks_unhandled_total{type}.
// Config.TaskTypes are pre-created; other types are admitted up to
// Config.MaxLabelValues, then counted as Other.
func (m *Metrics) TaskUnhandled(taskType string) {
	_, c := m.unhandled.get(taskType)
	c.Inc()
}
