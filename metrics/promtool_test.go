package metrics

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/internal/testenv"
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
	require.Contains(t, out, "SUCCESS: 7 rules found")

	out, err = promtool(t, "", "test", "rules", "prometheus/alerts_test.yml")
	require.NoError(t, err, out)
	require.Contains(t, out, "SUCCESS")

	out, err = promtool(t, "", "check", "config", "prometheus/prometheus.yml")
	require.NoError(t, err, out)
	require.Contains(t, out, "is valid prometheus config file syntax")
}
