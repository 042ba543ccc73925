package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

func TestPeriodicFamiliesOnlyWithSchedules(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	require.NotContains(t, b.m.FamilyNames(), "periodic_failures_total")
	b.m.PeriodicRun("nightly", time.Now()) // a no-op, not a panic
	b.m.PeriodicNext("nightly", time.Now())
	b.m.PeriodicFailure("nightly")
	require.NotContains(t, gatheredNames(t, b.reg), "periodic_failures_total")
}

func TestPeriodicEvents(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{Schedules: []string{"nightly", "beat"}, MaxLabelValues: 3})
	m, reg := b.m, b.reg
	require.Subset(t, m.FamilyNames(), []string{"periodic_last_run_timestamp_seconds",
		"periodic_next_run_timestamp_seconds", "periodic_failures_total"})
	require.Subset(t, gatheredNames(t, reg), []string{"periodic_last_run_timestamp_seconds",
		"periodic_next_run_timestamp_seconds", "periodic_failures_total"}, "series exist from start-up")
	for _, f := range []string{"periodic_last_run_timestamp_seconds", "periodic_next_run_timestamp_seconds", "periodic_failures_total"} {
		require.Equal(t, 2, countSeries(t, reg, f), f)
		require.Zero(t, mustValue(t, reg, f, "schedule", "nightly"))
	}

	tick := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	m.PeriodicRun("nightly", tick)
	m.PeriodicRun("nightly", tick.Add(-24*time.Hour)) // a catch-up tick never moves it back
	m.PeriodicNext("nightly", tick.Add(24*time.Hour))
	m.PeriodicFailure("nightly")
	m.PeriodicFailure("nightly")
	require.Equal(t, float64(tick.Unix()), mustValue(t, reg, "periodic_last_run_timestamp_seconds", "schedule", "nightly"))
	require.Equal(t, float64(tick.Add(24*time.Hour).Unix()), mustValue(t, reg, "periodic_next_run_timestamp_seconds", "schedule", "nightly"))
	require.Equal(t, 2.0, mustValue(t, reg, "periodic_failures_total", "schedule", "nightly"))
	require.Zero(t, mustValue(t, reg, "periodic_failures_total", "schedule", "beat"))

	// Schedule names are bounded like every other label.
	m.PeriodicFailure("a")
	m.PeriodicFailure("b")
	require.Equal(t, 1.0, mustValue(t, reg, "periodic_failures_total", "schedule", "a"))
	require.Equal(t, 1.0, mustValue(t, reg, "periodic_failures_total", "schedule", Other))
}

func TestPeriodicNamespace(t *testing.T) {
	t.Parallel()
	m, err := New(prometheus.NewRegistry(), Config{Namespace: "taskq", Schedules: []string{"x"}})
	require.NoError(t, err)
	require.Contains(t, m.FamilyNames(), "taskq_periodic_failures_total")
}
