package reliability

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/internal/loadgen"
)

// TestHTTPLoad drives one node's HTTP API with the load generator
// (POST /api/tasks and GET /api/tasks/{id} 50/50, 64 keep-alive
// connections; 3s here, 30s with make reliability) on each durable
// deployment, and reports throughput, latency, errors, the node's CPU time
// per request and its RSS at start and end. Timings are reported, never
// asserted; errors are.
func TestHTTPLoad(t *testing.T) {
	dur := 3 * time.Second
	if full() {
		dur = 30 * time.Second
	}
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			b := startBackends(t, d)
			c := newCluster(t, b, map[string]string{
				"TASKQ_RATE_LIMIT": "1000000", "TASKQ_RATE_BURST": "1000000",
				"TASKQ_MAX_CONNS_PER_IP": "256", "TASKQ_LOG_LEVEL": "warn",
			})
			n := c.start()
			pid := n.cmd.Process.Pid
			rss0 := rssKB(t, pid)
			cpu0 := cpuTicks(t, pid)
			r, err := loadgen.Run(t.Context(), loadgen.Config{BaseURL: "http://" + n.addr, APIKey: adminKey, Conns: 64, Duration: dur})
			require.NoError(t, err)
			cpu := time.Duration(cpuTicks(t, pid)-cpu0) * time.Second / 100 // USER_HZ
			rss1 := rssKB(t, pid)
			perReq := "–"
			if r.Requests > 0 {
				perReq = (cpu / time.Duration(r.Requests)).Round(time.Microsecond).String()
			}
			record(t, loadColumns, row{scenario: "HTTP POST/GET 50/50", deployment: d.name, cells: map[string]string{
				"conns": "64", "duration": dur.String(), "requests/s": fmt.Sprintf("%.0f", r.PerSecond()),
				"p50": r.P50.Round(10 * time.Microsecond).String(), "p99": r.P99.Round(10 * time.Microsecond).String(),
				"errors": itoa(r.Errors), "server CPU per request": perReq,
				"RSS start": itoa(rss0/1024) + " MiB", "RSS end": itoa(rss1/1024) + " MiB",
			}})
			require.Zero(t, r.Errors, "first error: %s", r.FirstError)
			require.Positive(t, r.Creates)
			require.Positive(t, r.Gets)
		})
	}
}

// rssKB reads a process's resident set size (kB) from /proc.
func rssKB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("no VmRSS for pid %d", pid)
	return 0
}

// cpuTicks reads a process's user+system CPU time in clock ticks.
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, err := strconv.Atoi(fields[11]) // utime is field 14 of stat
	require.NoError(t, err)
	st, err := strconv.Atoi(fields[12])
	require.NoError(t, err)
	return u + st
}
