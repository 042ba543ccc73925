package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/worker"
)

// TestLimitSettings: the flow-control variables parse into Config.Limits
// and reach the worker's Config; malformed values name their variable.
func TestLimitSettings(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig(nil, env(map[string]string{
		"TASKQ_TYPE_CONCURRENCY":  "report.generate=5, email.send=20",
		"TASKQ_QUEUE_CONCURRENCY": "default=50",
		"TASKQ_TYPE_RATE":         "email.send=100/1s,report.generate=10/1m",
	}))
	require.NoError(t, err)
	want := taskq.Limits{
		QueueConcurrency: map[string]int{"default": 50},
		TypeConcurrency:  map[string]int{"report.generate": 5, "email.send": 20},
		TypeRate: map[string]taskq.Rate{
			"email.send":      {N: 100, Per: time.Second},
			"report.generate": {N: 10, Per: time.Minute},
		},
	}
	require.Equal(t, want, c.Limits)

	var got *taskq.Limits
	setup(t, c, Deps{Worker: func(w *worker.Config) { got = w.Limits }}, false)
	require.Equal(t, &want, got, "the worker enforces the configured limits")

	none, err := LoadConfig(nil, env(nil))
	require.NoError(t, err)
	require.Nil(t, none.workerLimits(), "no settings, no limits")

	for k, v := range map[string]string{
		"TASKQ_TYPE_CONCURRENCY":  "report=0",
		"TASKQ_QUEUE_CONCURRENCY": "default",
		"TASKQ_TYPE_RATE":         "email=100",
	} {
		_, err := LoadConfig(nil, env(map[string]string{k: v}))
		require.ErrorContains(t, err, k, "%s=%s", k, v)
	}
	_, err = LoadConfig(nil, env(map[string]string{"TASKQ_TYPE_RATE": "email=5/-1s"}))
	require.ErrorContains(t, err, "TASKQ_TYPE_RATE")
}
