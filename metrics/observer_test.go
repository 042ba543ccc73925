package metrics

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

func TestTaskFinished(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	m, reg := b.m, b.reg

	m.TaskFinished("email", taskq.OutcomeCompleted, 30*time.Millisecond)
	m.TaskFinished("email", taskq.OutcomeCompleted, 40*time.Millisecond)
	m.TaskFinished("email", taskq.OutcomeRetry, 2*time.Second)
	m.TaskFinished("http", taskq.OutcomeDeadLetter, 200*time.Millisecond)
	m.TaskFinished("http", taskq.OutcomeCancelled, time.Second)
	m.TaskFinished("http", taskq.OutcomeRescheduled, time.Millisecond)
	m.TaskFinished("http", taskq.Outcome("weird"), time.Millisecond)

	for _, c := range []struct {
		typ, status string
		want        float64
	}{
		{"email", "completed", 2}, {"email", "failed", 1}, {"email", "dead_letter", 0},
		{"http", "dead_letter", 1}, {"http", "cancelled", 1}, {"http", "rescheduled", 1},
		{"http", Other, 1},
	} {
		require.Equal(t, c.want, mustValue(t, reg, "tasks_processed_total", "type", c.typ, "status", c.status), "%s/%s", c.typ, c.status)
	}
	// Durations: every outcome but rescheduled.
	require.Equal(t, 3.0, mustValue(t, reg, "task_processing_duration_seconds", "type", "email"))
	require.Equal(t, 3.0, mustValue(t, reg, "task_processing_duration_seconds", "type", "http"))
	// Rates over the window: 6 processed (rescheduled excluded), 2 errors.
	require.Equal(t, 6.0, mustValue(t, reg, "task_processing_rate"))
	require.Equal(t, 2.0, mustValue(t, reg, "task_error_rate"))
}

func TestSlidingRates(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{RateWindow: time.Minute})
	m, reg, clock := b.m, b.reg, b.clock
	rates := func() (float64, float64) {
		return mustValue(t, reg, "task_processing_rate"), mustValue(t, reg, "task_error_rate")
	}

	for range 10 {
		m.TaskFinished("a", taskq.OutcomeCompleted, 0)
	}
	m.TaskFinished("a", taskq.OutcomeRetry, 0)
	p, e := rates()
	require.Equal(t, 11.0, p)
	require.Equal(t, 1.0, e)

	clock.Advance(30 * time.Second)
	for range 4 {
		m.TaskFinished("a", taskq.OutcomeDeadLetter, 0)
	}
	p, e = rates()
	require.Equal(t, 15.0, p)
	require.Equal(t, 5.0, e)

	// 60s after the first batch it has left the window; the second stays.
	clock.Advance(30 * time.Second)
	p, e = rates()
	require.Equal(t, 4.0, p)
	require.Equal(t, 4.0, e)

	clock.Advance(30 * time.Second)
	p, e = rates()
	require.Zero(t, p)
	require.Zero(t, e)
}

func TestWindowScalesToPerMinute(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	w := newWindow(10*time.Second, clock.Now)
	w.add(5)
	require.Equal(t, 30.0, w.perMinute(), "5 in 10s is 30 a minute")
	// A clock going backwards does not count future buckets.
	clock.Advance(-time.Hour)
	require.Zero(t, w.perMinute())
}

func TestTaskRecovered(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	b.m.TaskRecovered(taskq.RecoveredLeaseExpired)
	b.m.TaskRecovered(taskq.RecoveredLeaseExpired)
	b.m.TaskRecovered(taskq.RecoveredReconciled)
	require.Equal(t, 2.0, mustValue(t, b.reg, "tasks_recovered_total", "reason", "lease_expired"))
	require.Equal(t, 1.0, mustValue(t, b.reg, "tasks_recovered_total", "reason", "reconciled"))
}

func TestDeadLetterEvents(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	m, reg := b.m, b.reg

	m.DeadLetterMoved(0)
	m.DeadLetterMoved(2)
	require.Equal(t, 2.0, mustValue(t, reg, "dlq_tasks_evicted_total"))
	require.Equal(t, 2.0, mustValue(t, reg, "dlq_tasks_cleaned_total"), "evictions count as cleaned")

	m.DeadLetterCleanup(3, 10, 20*time.Millisecond, nil)
	require.Equal(t, 5.0, mustValue(t, reg, "dlq_tasks_cleaned_total"))
	require.Equal(t, 10.0, mustValue(t, reg, "dlq_tasks_remaining"))
	require.Equal(t, 1.0, mustValue(t, reg, "dlq_cleanup_success_total"))
	require.Zero(t, mustValue(t, reg, "dlq_cleanup_failure_total"))
	require.Equal(t, 1.0, mustValue(t, reg, "dlq_cleanup_duration_seconds"))

	m.DeadLetterCleanup(1, 0, time.Second, errors.New("db down"))
	require.Equal(t, 6.0, mustValue(t, reg, "dlq_tasks_cleaned_total"), "what a failed run purged is counted")
	require.Equal(t, 10.0, mustValue(t, reg, "dlq_tasks_remaining"), "a failed run leaves remaining alone")
	require.Equal(t, 1.0, mustValue(t, reg, "dlq_cleanup_success_total"))
	require.Equal(t, 1.0, mustValue(t, reg, "dlq_cleanup_failure_total"))
	require.Equal(t, 2.0, mustValue(t, reg, "dlq_cleanup_duration_seconds"))
}

func TestSecurityAndBreakerEvents(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	m, reg := b.m, b.reg

	m.RateLimitExceeded(ScopePrincipal)
	m.RateLimitExceeded(ScopePrincipal)
	m.RateLimitExceeded(ScopeIPBlocked)
	m.AuthFailure("expired")
	m.BreakerTrip("smtp")
	m.BreakerState("smtp", BreakerOpen)
	m.BreakerState("db", BreakerHalfOpen) // not pre-created: admitted

	require.Equal(t, 2.0, mustValue(t, reg, "rate_limit_exceeded_total", "scope", "principal"))
	require.Equal(t, 1.0, mustValue(t, reg, "rate_limit_exceeded_total", "scope", "ip_blocked"))
	require.Zero(t, mustValue(t, reg, "rate_limit_exceeded_total", "scope", "ip"))
	require.Equal(t, 1.0, mustValue(t, reg, "auth_failures_total", "reason", "expired"))
	require.Equal(t, 1.0, mustValue(t, reg, "circuit_breaker_trips_total", "breaker", "smtp"))
	require.Equal(t, 2.0, mustValue(t, reg, "circuit_breaker_state", "breaker", "smtp"))
	require.Equal(t, 1.0, mustValue(t, reg, "circuit_breaker_state", "breaker", "db"))
	require.Zero(t, mustValue(t, reg, "circuit_breaker_trips_total", "breaker", "db"))

	m.BreakerState("smtp", BreakerClosed)
	require.Zero(t, mustValue(t, reg, "circuit_breaker_state", "breaker", "smtp"))
}

func TestLabelValuesBounded(t *testing.T) {
	t.Parallel()
	cfg := testConfig() // email, http pre-created
	cfg.MaxLabelValues = 3
	b := setup(t, cfg)
	m, reg := b.m, b.reg

	for _, typ := range []string{"a", "b", "c", "a", "", "bad\xff", string(make([]byte, 200))} {
		m.TaskFinished(typ, taskq.OutcomeCompleted, time.Millisecond)
	}
	require.Equal(t, 2.0, mustValue(t, reg, "tasks_processed_total", "type", "a", "status", "completed"))
	_, ok := value(t, reg, "tasks_processed_total", "type", "b", "status", "completed")
	require.False(t, ok, "b is beyond the cap")
	require.Equal(t, 5.0, mustValue(t, reg, "tasks_processed_total", "type", Other, "status", "completed"))
	// Pre-created values stay usable beyond the cap.
	m.TaskFinished("email", taskq.OutcomeCompleted, time.Millisecond)
	require.Equal(t, 1.0, mustValue(t, reg, "tasks_processed_total", "type", "email", "status", "completed"))

	// 2 pre-created + a + other = 4 types, 5 statuses each.
	require.Equal(t, 20, countSeries(t, reg, "tasks_processed_total"))

	for i := range 50 {
		m.AuthFailure(string(rune('a' + i)))
		m.BreakerTrip(string(rune('a' + i)))
	}
	require.Equal(t, 12, countSeries(t, reg, "auth_failures_total"), "11 pre-created reasons + other")
	require.Equal(t, 4, countSeries(t, reg, "circuit_breaker_trips_total"), "smtp, a, b, other")
}

func TestOrphanedAndUnhandled(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{TaskTypes: []string{"email", "http"}, MaxLabelValues: 3})
	m, reg := b.m, b.reg

	// Every series exists from start-up: the counter and one series per
	// configured task type.
	require.Zero(t, mustValue(t, reg, "tasks_orphaned_total"))
	require.Zero(t, mustValue(t, reg, "tasks_unhandled_total", "type", "email"))
	require.Zero(t, mustValue(t, reg, "tasks_unhandled_total", "type", "http"))
	require.Equal(t, 2, countSeries(t, reg, "tasks_unhandled_total"))

	m.TaskOrphaned("default")
	m.TaskOrphaned("mail")
	require.Equal(t, 2.0, mustValue(t, reg, "tasks_orphaned_total"))

	// Unknown types are admitted up to the cap, then counted as Other.
	m.TaskUnhandled("email")
	m.TaskUnhandled("report")
	m.TaskUnhandled("report")
	m.TaskUnhandled("resize")
	m.TaskUnhandled("")
	require.Equal(t, 1.0, mustValue(t, reg, "tasks_unhandled_total", "type", "email"))
	require.Equal(t, 2.0, mustValue(t, reg, "tasks_unhandled_total", "type", "report"))
	require.Equal(t, 2.0, mustValue(t, reg, "tasks_unhandled_total", "type", Other))
	_, ok := value(t, reg, "tasks_unhandled_total", "type", "resize")
	require.False(t, ok, "types beyond MaxLabelValues are reported as other")
}

func TestTaskStarted(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	var _ taskq.StartObserver = b.m
	b.m.TaskStarted("default", time.Millisecond)
	b.m.TaskStarted("default", 2*time.Second)
	b.m.TaskStarted("default", 0)
	b.m.TaskStarted("bulk", time.Minute)
	require.Equal(t, 3.0, mustValue(t, b.reg, "task_start_delay_seconds", "queue", "default"))
	require.Equal(t, 1.0, mustValue(t, b.reg, "task_start_delay_seconds", "queue", "bulk"))
}
