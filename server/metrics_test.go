package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
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
		"tasks_recovered_total", "dlq_tasks_evicted_total", "dlq_tasks_evicted_by_owner_total", "tasks_orphaned_total",
		"tasks_unhandled_total", "tasks_unique_conflicts_total",
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

func TestMetricsNamespace(t *testing.T) {
	t.Parallel()
	// A host registry that already exports http_requests_total.
	reg := prometheus.NewRegistry()
	host := prometheus.NewCounter(prometheus.CounterOpts{Name: "http_requests_total", Help: "The host's requests."})
	reg.MustRegister(host)
	host.Add(2)

	// Without a namespace the server refuses to start, naming the collision.
	_, err := New(Config{AdminKey: testAdminKey}, Deps{Registry: reg})
	require.ErrorContains(t, err, "http_requests_total: ")
	require.ErrorContains(t, err, "Config.Namespace")

	b := setup(t, Config{MetricsNamespace: "taskq", HTTPAllow: []string{"api.example.com"}}, Deps{Registry: reg}, true)
	tk := b.createTask(testAdminKey, map[string]any{"type": "noop"})
	b.waitStatus(tk.ID, taskq.StatusCompleted)
	w := b.do(req{method: "GET", path: "/metrics"})
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	require.Contains(t, body, "\nhttp_requests_total 2\n", "the host's family is served unchanged")
	require.Contains(t, body, `taskq_tasks_processed_total{status="completed",type="noop"} 1`)
	require.Contains(t, body, `taskq_http_requests_total{code="201",method="POST",route="/api/tasks"} 1`)
	for _, family := range b.s.metrics.FamilyNames() {
		require.True(t, strings.HasPrefix(family, "taskq_"), family)
		require.True(t, strings.Contains(body, "# TYPE "+family+" "), "%s missing from /metrics", family)
	}
	require.False(t, strings.Contains(body, "# TYPE tasks_processed_total "), "no family without the prefix")
}
