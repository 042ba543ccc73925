package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func TestNewNilRegisterer(t *testing.T) {
	t.Parallel()
	_, err := New(nil, Config{})
	require.ErrorContains(t, err, "NewRegistry")
}

func TestNewZeroConfig(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := New(reg, Config{})
	require.NoError(t, err)
	workload(m)
	// Without a Queue there is no task_queue_size; every other family is there.
	require.NotContains(t, m.FamilyNames(), "task_queue_size")
	require.ElementsMatch(t, m.FamilyNames(), gatheredNames(t, reg))
	require.Len(t, m.FamilyNames(), 28)
}

func TestNewConflictUnregistersEverything(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	squatter := prometheus.NewCounter(prometheus.CounterOpts{Name: "http_requests_total", Help: "someone else's"})
	reg.MustRegister(squatter)

	_, err := New(reg, testConfig())
	require.ErrorContains(t, err, "register")
	// http_requests_total comes late: the families registered before it
	// were rolled back.
	require.Equal(t, []string{"http_requests_total"}, gatheredNames(t, reg), "nothing of ours stays registered")
}

func TestEveryFamilyPresentAtStartup(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())

	require.ElementsMatch(t, b.m.FamilyNames(), gatheredNames(t, b.reg))
	require.Len(t, b.m.FamilyNames(), 29)

	// Pre-created label values: 2 types x 5 statuses, routes, breakers,
	// scopes, reasons, the default queue, unhandled types.
	require.Equal(t, 10, countSeries(t, b.reg, "tasks_processed_total"))
	require.Equal(t, 2, countSeries(t, b.reg, "task_processing_duration_seconds"))
	require.Equal(t, 3, countSeries(t, b.reg, "http_requests_total"))
	require.Equal(t, 3, countSeries(t, b.reg, "http_request_duration_seconds"))
	require.Equal(t, 6, countSeries(t, b.reg, "task_queue_size"))
	require.Equal(t, 2, countSeries(t, b.reg, "tasks_recovered_total"))
	require.Equal(t, 2, countSeries(t, b.reg, "tasks_unhandled_total"))

	require.NoError(t, testutil.GatherAndCompare(b.reg, strings.NewReader(`
# HELP rate_limit_exceeded_total Requests refused by a rate limit or a temporary IP block, by scope.
# TYPE rate_limit_exceeded_total counter
rate_limit_exceeded_total{scope="auth_token"} 0
rate_limit_exceeded_total{scope="ip"} 0
rate_limit_exceeded_total{scope="ip_blocked"} 0
rate_limit_exceeded_total{scope="principal"} 0
# HELP auth_failures_total Failed authentications, by reason.
# TYPE auth_failures_total counter
auth_failures_total{reason="expired"} 0
auth_failures_total{reason="invalid_algorithm"} 0
auth_failures_total{reason="invalid_audience"} 0
auth_failures_total{reason="invalid_claims"} 0
auth_failures_total{reason="invalid_issuer"} 0
auth_failures_total{reason="invalid_signature"} 0
auth_failures_total{reason="key_expired"} 0
auth_failures_total{reason="malformed"} 0
auth_failures_total{reason="not_yet_valid"} 0
auth_failures_total{reason="revoked"} 0
auth_failures_total{reason="unknown_key"} 0
# HELP circuit_breaker_state State of a circuit breaker: 0 closed, 1 half-open, 2 open.
# TYPE circuit_breaker_state gauge
circuit_breaker_state{breaker="smtp"} 0
# HELP circuit_breaker_trips_total Transitions of a circuit breaker to open, by breaker.
# TYPE circuit_breaker_trips_total counter
circuit_breaker_trips_total{breaker="smtp"} 0
# HELP http_requests_total HTTP requests served, by method, route pattern and status code.
# TYPE http_requests_total counter
http_requests_total{code="200",method="GET",route="/api/tasks/{id}"} 0
http_requests_total{code="200",method="GET",route="/health"} 0
http_requests_total{code="200",method="POST",route="/api/tasks"} 0
# HELP task_queue_size Entries in a queue: ready ones by priority (low, medium, high, critical), plus priority="scheduled" (waiting for their run time) and priority="leased" (held by workers).
# TYPE task_queue_size gauge
task_queue_size{priority="critical",queue="default"} 0
task_queue_size{priority="high",queue="default"} 0
task_queue_size{priority="leased",queue="default"} 0
task_queue_size{priority="low",queue="default"} 0
task_queue_size{priority="medium",queue="default"} 0
task_queue_size{priority="scheduled",queue="default"} 0
# HELP tasks_recovered_total Tasks brought back by the reaper (lease_expired) or the reconciler (reconciled).
# TYPE tasks_recovered_total counter
tasks_recovered_total{reason="lease_expired"} 0
tasks_recovered_total{reason="reconciled"} 0
`), "rate_limit_exceeded_total", "auth_failures_total", "circuit_breaker_state", "circuit_breaker_trips_total",
		"http_requests_total", "task_queue_size", "tasks_recovered_total"))

	for _, s := range []string{"completed", "failed", "dead_letter", "cancelled", "rescheduled"} {
		require.Zero(t, mustValue(t, b.reg, "tasks_processed_total", "type", "email", "status", s))
	}
}

func TestLintClean(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	workload(b.m)
	problems, err := testutil.GatherAndLint(b.reg)
	require.NoError(t, err)
	require.Empty(t, problems)
}

func gatheredNames(t *testing.T, g prometheus.Gatherer) []string {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	return names
}
