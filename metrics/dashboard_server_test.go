package metrics_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/internal/testenv"
)

// TestDashboardsAgainstServer runs the reference server (package server,
// in-memory backends, loopback, /metrics public) and a real Prometheus
// scraping it every second with alerts.yml loaded. Once the first scrape
// is stored it drives a workload through the HTTP API (runWorkload), waits
// until Prometheus holds its traces (workloadProofs), lints the server's
// /metrics with promtool, then evaluates through Prometheus' HTTP API
// every PromQL expression of the dashboards, their variable queries and
// every alerting rule: each must succeed and return at least one series.
// With TASKQ_DASHBOARD_PNG set it then runs more traffic and renders the
// main dashboard to that file (render_test.go).
func TestDashboardsAgainstServer(t *testing.T) {
	t.Parallel()
	bin := testenv.LookPath(t, "prometheus", "/usr/bin/prometheus")
	failing := failingHost(t)
	s := startTaskq(t, workloadConfig(failing))
	prom := startPrometheus(t, bin, s.addr)

	// The zero values of the pre-created series are stored before the
	// workload, so increase() and rate() see the workload.
	eventually(t, 20*time.Second, func() (bool, string) {
		r, err := prom.query(`up{job="taskq"} == 1`)
		return err == nil && len(r) == 1, fmt.Sprint(r, err)
	}, "Prometheus did not scrape the taskq server")

	begin := time.Now()
	runWorkload(t, s, failing)

	for _, q := range workloadProofs {
		eventually(t, 15*time.Second, func() (bool, string) {
			r, err := prom.query(q)
			return err == nil && len(r) > 0, fmt.Sprint(r, err)
		}, "Prometheus does not show the workload: "+q)
	}

	// The server's own exposition, Go and process collectors included,
	// passes promtool's lint after the workload.
	promtool := testenv.LookPath(t, "promtool", "/usr/bin/promtool")
	code, text := s.raw(http.MethodGet, "/metrics", "", nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(text), `circuit_breaker_state{breaker="http:127.0.0.1"} 2`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lint := exec.CommandContext(ctx, promtool, "check", "metrics")
	lint.Stdin = bytes.NewReader(text)
	out, err := lint.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Empty(t, strings.TrimSpace(string(out)), "promtool check metrics must report nothing")

	exprs := dashboardExprs(t)
	require.Greater(t, len(exprs), 30)
	for _, e := range exprs {
		res, err := prom.query(grafanaVars.Replace(e))
		require.NoError(t, err, "dashboard expr %q", e)
		require.NotEmpty(t, res, "dashboard expr %q returned no series", e)
	}

	for _, d := range loadDashboards(t) {
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			m := labelValuesQuery.FindStringSubmatch(v.Definition)
			require.NotNil(t, m, "variable %s: unsupported query %q", v.Name, v.Definition)
			values, err := prom.labelValues(m[2], m[1])
			require.NoError(t, err)
			require.NotEmpty(t, values, "variable %s: %s", v.Name, v.Definition)
		}
	}

	// Every alerting rule evaluates in Prometheus' rule manager; its
	// expression evaluates through the API, and with its thresholds made
	// bool comparisons it returns a series: the rule watches live data.
	var rules []ruleState
	eventually(t, 10*time.Second, func() (bool, string) {
		var err error
		rules, err = prom.rules()
		require.NoError(t, err)
		ok := 0
		for _, r := range rules {
			require.NotEqual(t, "err", r.Health, "rule %s: %s", r.Name, r.LastError)
			if r.Health == "ok" {
				ok++
			}
		}
		return ok == len(rules), fmt.Sprintf("%d of %d rules evaluated", ok, len(rules))
	}, "the alerting rules did not all evaluate")
	require.Len(t, rules, 8)
	for _, r := range rules {
		require.Equal(t, "alerting", r.Type, r.Name)
		_, err := prom.query(r.Query)
		require.NoError(t, err, "alert %s: %s", r.Name, r.Query)
		q := boolThresholds(r.Query)
		require.NotEqual(t, r.Query, q, "alert %s: no threshold found", r.Name)
		res, err := prom.query(q)
		require.NoError(t, err, "alert %s: %s", r.Name, q)
		require.NotEmpty(t, res, "alert %s returned no series: %s", r.Name, q)
	}

	if path := os.Getenv(renderEnv); path != "" {
		secs, err := strconv.Atoi(cmp.Or(os.Getenv(renderSecondsEnv), "150"))
		require.NoError(t, err, renderSecondsEnv)
		backgroundTraffic(t, s, failing, time.Duration(secs)*time.Second)
		end := time.Now()
		eventually(t, 10*time.Second, func() (bool, string) {
			r, err := prom.query(`timestamp(up{job="taskq"})`)
			return err == nil && len(r) == 1 && r[0].float() > float64(end.Unix()+1), fmt.Sprint(r, err)
		}, "no scrape after the traffic")
		d, ok := loadDashboards(t)["dashboards/taskq-overview.json"]
		require.True(t, ok)
		require.NoError(t, renderDashboard(prom, d, path, begin, end))
		t.Logf("dashboard rendered to %s", path)
	}
}

// workloadProofs are queries that return a series only once Prometheus
// has scraped what runWorkload did: they keep the test from passing on
// pre-created zeros alone.
var workloadProofs = []string{
	// Tasks: every built-in type and outcome.
	`sum(tasks_processed_total{type="noop",status="completed"}) >= 4`,
	`sum(tasks_processed_total{type="sleep",status="completed"}) >= 2`,
	`sum(tasks_processed_total{type="sleep",status="cancelled"}) >= 1`,
	`sum(tasks_processed_total{type="flaky",status="failed"}) >= 2`,
	`sum(tasks_processed_total{type="flaky",status="completed"}) >= 1`,
	`sum(tasks_processed_total{type="fail",status="dead_letter"}) >= 6`,
	`sum(tasks_processed_total{type="http",status="failed"}) >= 5`,
	`sum(tasks_processed_total{type="http",status="rescheduled"}) >= 1`,
	`max(task_queue_size{queue="mail",priority="scheduled"}) == 1`,
	`max(task_processing_rate) > 0`,
	`max(task_error_rate) > 0`,
	`histogram_quantile(0.5, sum by (le) (rate(task_processing_duration_seconds_bucket[1m]))) >= 0`,
	// DLQ: one entry left after the cleanup of three.
	`max(dlq_size) == 1`,
	`sum(dlq_tasks_cleaned_total) >= 3`,
	`sum(dlq_cleanup_success_total) >= 1`,
	`histogram_quantile(0.5, sum by (le) (rate(dlq_cleanup_duration_seconds_bucket[1m]))) >= 0`,
	// API.
	`sum(http_requests_total{method="POST",route="/api/tasks",code="201"}) >= 16`,
	`sum(http_requests_total{method="POST",route="/api/tasks",code="422"}) >= 1`,
	`sum(http_requests_total{method="DELETE",route="/api/tasks/{id}",code="200"}) >= 2`,
	`sum(http_requests_total{method="POST",route="/api/dlq/{id}/retry",code="200"}) >= 1`,
	`sum(http_requests_total{method="DELETE",route="/api/dlq/{id}",code="204"}) >= 1`,
	`sum(http_requests_total{method="POST",route="/api/dlq/cleanup",code="200"}) >= 1`,
	`sum(http_requests_total{route="unmatched",code="404"}) >= 1`,
	`sum(http_requests_total{code="403"}) >= 1`,
	`sum(http_requests_total{code="401"}) >= 9`,
	`sum(http_requests_total{code="429"}) >= 1`,
	`histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m]))) >= 0`,
	// Security: the failures counted by reason, the burst by scope.
	`sum(auth_failures_total{reason="unknown_key"}) >= 5`,
	`sum(auth_failures_total{reason="malformed"}) >= 2`,
	`sum(auth_failures_total{reason="revoked"}) >= 1`,
	`sum(increase(auth_failures_total[1m])) > 0`,
	`sum(rate_limit_exceeded_total{scope="principal"}) >= 1`,
	// The breaker of the failing host tripped and is open.
	`sum(circuit_breaker_trips_total{breaker="http:127.0.0.1"}) >= 1`,
	`max(circuit_breaker_state{breaker="http:127.0.0.1"}) == 2`,
	// Operations: the paused queue, the scheduler's leader, the quota.
	`max(queue_paused{queue="mail"}) == 1`,
	`max(queue_paused{queue="default"}) == 0`,
	`sum(leader_is_leader{name="taskq-server-periodic"}) == 1`,
	`sum(quota_exceeded_total{limit="metadata_bytes"}) >= 1`,
	`sum(changes(periodic_last_run_timestamp_seconds{schedule="beat"}[1m])) >= 1`,
	// System.
	`max(system_memory_usage_bytes) > 0`,
	`count(system_cpu_usage) == 1`,
}

// threshold matches a comparison with a number literal on its right.
var threshold = regexp.MustCompile(`(==|!=|>=|<=|>|<)\s*([0-9])`)

// boolThresholds turns "expr > 10" into "expr > bool 10", so the rule's
// expression returns its series whether or not it fires.
func boolThresholds(q string) string {
	return threshold.ReplaceAllString(q, "$1 bool $2")
}

// labelValuesQuery parses Grafana's label_values(metric, label).
var labelValuesQuery = regexp.MustCompile(`^label_values\(\s*(\w+)\s*,\s*(\w+)\s*\)$`)

// TestBoolThresholds checks the rewrite the alert check relies on.
func TestBoolThresholds(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`max(x[5m]) == 2`:                             `max(x[5m]) == bool 2`,
		`a{s!="r"} / b > 0.25`:                        `a{s!="r"} / b > bool 0.25`,
		`d(x[30m]) > 10 and d(x[10m]) >0`:             `d(x[30m]) > bool 10 and d(x[10m]) > bool 0`,
		`sum(y{priority!~"scheduled|leased"}) > 1000`: `sum(y{priority!~"scheduled|leased"}) > bool 1000`,
	} {
		require.Equal(t, want, boolThresholds(in), in)
	}
	require.False(t, strings.Contains(boolThresholds(`x{a="1"}`), "bool"))
}
