package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{HTTPAllow: []string{"api.example.com"}}, Deps{}, true)
	tk := b.createTask(testAdminKey, map[string]any{"type": "noop"})
	b.waitStatus(tk.ID, taskq.StatusCompleted)
	b.do(req{method: "GET", path: "/api/tasks", key: "wrong"})
	b.do(req{method: "GET", path: "/api/tasks/" + tk.ID + "/nope"})

	w := b.do(req{method: "GET", path: "/metrics"})
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Header().Get("Content-Type"), "text/plain")
	body := w.Body.String()
	for _, family := range []string{
		"system_cpu_usage", "system_memory_usage_bytes", "system_event_loop_lag_seconds", "task_queue_size",
		"task_processing_rate", "tasks_processed_total", "task_error_rate", "task_processing_duration_seconds",
		"dlq_size", "dlq_tasks_cleaned_total", "dlq_tasks_remaining", "dlq_cleanup_duration_seconds",
		"dlq_cleanup_success_total", "dlq_cleanup_failure_total", "rate_limit_exceeded_total", "auth_failures_total",
		"circuit_breaker_trips_total", "circuit_breaker_state", "http_requests_total", "http_request_duration_seconds",
		"tasks_recovered_total", "dlq_tasks_evicted_total",
	} {
		require.Contains(t, body, "# TYPE "+family+" ", family)
	}
	require.Contains(t, body, `tasks_processed_total{status="completed",type="noop"} 1`)
	require.Contains(t, body, `route="/api/tasks/{id}"`, "routes are patterns")
	require.Contains(t, body, `route="unmatched"`)
	require.Contains(t, body, `circuit_breaker_state{breaker="http:api.example.com"} 0`)
	require.Contains(t, body, `auth_failures_total{reason="malformed"} 1`)
	require.NotContains(t, body, tk.ID, "no ids in labels")

	// Behind admin credentials when configured.
	b2 := setup(t, Config{MetricsAuth: true}, Deps{}, false)
	requireError(t, b2.do(req{method: "GET", path: "/metrics"}), 401, taskq.CodeUnauthorized)
	require.Equal(t, http.StatusOK, b2.admin(req{method: "GET", path: "/metrics"}).Code)
	require.True(t, strings.HasPrefix(b2.admin(req{method: "GET", path: "/metrics"}).Header().Get("Content-Type"), "text/plain"))
}
