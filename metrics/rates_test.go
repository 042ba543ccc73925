package metrics

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

// TestRates: Rates reports the same per-minute figures as the gauges,
// over the configured window, and forgets attempts older than it.
func TestRates(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.RateWindow = 30 * time.Second
	b := setup(t, cfg)
	require.Equal(t, 30, b.m.RateWindowSeconds())
	b.m.TaskFinished("email", taskq.OutcomeCompleted, time.Millisecond)
	b.m.TaskFinished("email", taskq.OutcomeCompleted, time.Millisecond)
	b.m.TaskFinished("email", taskq.OutcomeRetry, time.Millisecond)
	b.m.TaskFinished("http", taskq.OutcomeDeadLetter, time.Millisecond)
	b.m.TaskFinished("http", taskq.OutcomeRescheduled, time.Millisecond)
	processed, failed := b.m.Rates()
	require.InDelta(t, 8, processed, 1e-9, "4 attempts in 30s is 8 per minute")
	require.InDelta(t, 4, failed, 1e-9)
	require.InDelta(t, processed, mustValue(t, b.reg, "task_processing_rate"), 1e-9)
	require.InDelta(t, failed, mustValue(t, b.reg, "task_error_rate"), 1e-9)

	b.clock.Advance(31 * time.Second)
	processed, failed = b.m.Rates()
	require.Zero(t, processed)
	require.Zero(t, failed)
}
