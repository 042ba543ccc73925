package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
)

// hostRegistry is the registry of a program that already exports HTTP
// metrics under the common names, with its own labels and help.
func hostRegistry(t *testing.T) (*prometheus.Registry, *prometheus.CounterVec) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total", Help: "The host's requests.",
	}, []string{"handler", "code"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds", Help: "The host's latency.",
	}, []string{"handler"})
	reg.MustRegister(reqs, latency)
	reqs.WithLabelValues("/home", "200").Add(3)
	latency.WithLabelValues("/home").Observe(0.1)
	return reg, reqs
}

func TestNamespaceAvoidsCollisions(t *testing.T) {
	t.Parallel()
	q := queue.NewMemory()
	t.Cleanup(func() { _ = q.Close() })
	reg, reqs := hostRegistry(t)
	hostNames := gatheredNames(t, reg)

	// Without a namespace: a clear error naming both collisions, and
	// nothing of taskq left registered.
	cfg := Config{Queue: q, TaskTypes: []string{"email"}, Routes: []string{"GET /api/tasks"}, Breakers: []string{"smtp"}}
	_, err := New(reg, cfg)
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, "2 of taskq's metric families collide")
	require.Contains(t, msg, "http_requests_total: ")
	require.Contains(t, msg, "http_request_duration_seconds: ")
	require.Contains(t, msg, "Config.Namespace")
	require.ElementsMatch(t, hostNames, gatheredNames(t, reg))

	// With one: every family is registered under the prefix, next to the
	// host's, and FamilyNames reports the names as exported.
	cfg.Namespace = "taskq"
	m, err := New(reg, cfg)
	require.NoError(t, err)
	names := m.FamilyNames()
	require.Len(t, names, 29)
	for _, n := range names {
		require.True(t, strings.HasPrefix(n, "taskq_"), n)
	}
	require.Contains(t, names, "taskq_tasks_processed_total")
	require.Contains(t, names, "taskq_task_queue_size")
	require.Contains(t, names, "taskq_dlq_size")
	require.ElementsMatch(t, append(hostNames, names...), gatheredNames(t, reg))

	m.TaskFinished("email", taskq.OutcomeCompleted, time.Millisecond)
	m.ObserveHTTP("GET", "", 404, time.Millisecond)
	require.Equal(t, 1.0, mustValue(t, reg, "taskq_tasks_processed_total", "type", "email", "status", "completed"))
	require.Equal(t, 1.0, mustValue(t, reg, "taskq_http_requests_total", "method", "GET", "route", Unmatched, "code", "404"))
	require.Equal(t, 3.0, mustValue(t, reg, "http_requests_total", "handler", "/home", "code", "200"), "the host's series are untouched")
	reqs.WithLabelValues("/home", "200").Inc()
	require.Equal(t, 4.0, mustValue(t, reg, "http_requests_total", "handler", "/home", "code", "200"))

	// A second taskq with the same namespace collides with the first.
	_, err = New(reg, Config{Namespace: "taskq"})
	require.ErrorContains(t, err, "taskq_tasks_processed_total: ")
	require.ErrorContains(t, err, "choose another Config.Namespace")
}

func TestNamespaceValidation(t *testing.T) {
	t.Parallel()
	for _, ns := range []string{"", "taskq", "a", "my_app2", "A_b"} {
		require.NoError(t, ValidateNamespace(ns), ns)
	}
	for _, ns := range []string{"9taskq", "_taskq", "taskq_", "task-q", "task:q", "tâskq", " taskq"} {
		require.Error(t, ValidateNamespace(ns), ns)
		_, err := New(prometheus.NewRegistry(), Config{Namespace: ns})
		require.ErrorContains(t, err, "namespace", ns)
	}
}
