package metrics

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue"
)

// promtool runs promtool with args (stdin from in) and returns its
// combined output and error.
func promtool(t *testing.T, in string, args ...string) (string, error) {
	t.Helper()
	bin := testenv.LookPath(t, "promtool", "/usr/bin/promtool")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(in)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func TestPromtoolCheckMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	workload(b.m)
	text := scrape(t, b.reg)
	require.Contains(t, text, "tasks_processed_total{")

	out, err := promtool(t, text, "check", "metrics")
	require.NoError(t, err, out)
	require.Empty(t, strings.TrimSpace(out), "promtool check metrics must report nothing")

	// The check is not vacuous: a badly named counter is reported.
	out, err = promtool(t, text+"# HELP bad_counter x\n# TYPE bad_counter counter\nbad_counter 1\n", "check", "metrics")
	require.Error(t, err)
	require.Contains(t, out, "bad_counter")
}

func TestPromtoolRules(t *testing.T) {
	t.Parallel()
	out, err := promtool(t, "", "check", "rules", "prometheus/alerts.yml")
	require.NoError(t, err, out)
	require.Contains(t, out, "SUCCESS: 8 rules found")

	out, err = promtool(t, "", "test", "rules", "prometheus/alerts_test.yml")
	require.NoError(t, err, out)
	require.Contains(t, out, "SUCCESS")

	out, err = promtool(t, "", "check", "config", "prometheus/prometheus.yml")
	require.NoError(t, err, out)
	require.Contains(t, out, "is valid prometheus config file syntax")
}

// namespaceRewrite is the substitution docs/monitoring.md gives for
// adapting the alerting rules and the dashboard to a Config.Namespace.
var namespaceRewrite = regexp.MustCompile(`\b(system_|tasks?_|dlq_|http_request|rate_limit_|auth_failures_|circuit_breaker_|quota_exceeded_total|queue_paused|leader_is_leader|periodic_)`)

// TestNamespacedRulesAndDashboard checks that recipe: with every name
// prefixed, the rules still pass promtool's checks and unit tests, and the
// dashboard and rules use exactly the families New exports with that
// namespace.
func TestNamespacedRulesAndDashboard(t *testing.T) {
	t.Parallel()
	const ns = "taskq"
	q := queue.NewMemory()
	t.Cleanup(func() { _ = q.Close() })
	m, err := New(prometheus.NewRegistry(), Config{Namespace: ns, Queue: q, Schedules: []string{"beat"},
		Paused:  func(context.Context) ([]string, error) { return nil, nil },
		Leaders: func() map[string]bool { return nil }})
	require.NoError(t, err)
	families := m.FamilyNames()

	dir := t.TempDir()
	texts := map[string]string{}
	for _, f := range []string{"prometheus/alerts.yml", "prometheus/alerts_test.yml", "dashboards/taskq-overview.json"} {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		out := namespaceRewrite.ReplaceAllString(string(raw), ns+"_$1")
		texts[filepath.Base(f)] = out
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), []byte(out), 0o600))
	}
	out, err := promtool(t, "", "check", "rules", filepath.Join(dir, "alerts.yml"))
	require.NoError(t, err, out)
	require.Contains(t, out, "SUCCESS: 8 rules found")
	out, err = promtool(t, "", "test", "rules", filepath.Join(dir, "alerts_test.yml"))
	require.NoError(t, err, out)
	require.Contains(t, out, "SUCCESS")

	// Every metric-like word is one of the namespaced families (histogram
	// series suffixes aside), and the dashboard shows every family.
	used := map[string]bool{}
	for _, name := range []string{"alerts.yml", "taskq-overview.json"} {
		for _, id := range regexp.MustCompile(`\b`+ns+`_[a-z0-9_]+`).FindAllString(texts[name], -1) {
			id = strings.TrimSuffix(strings.TrimSuffix(id, "_bucket"), "_count")
			require.Contains(t, families, id, "%s uses an unknown metric", name)
			used[id] = true
		}
	}
	for _, f := range families {
		require.True(t, used[f], "%s is not used", f)
	}
}
