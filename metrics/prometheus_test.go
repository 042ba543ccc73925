package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
)

// TestDashboardQueriesAgainstPrometheus serves the metrics on loopback
// under a synthetic workload, has a real Prometheus scrape them every
// second (with alerts.yml loaded), then evaluates every PromQL expression
// of the dashboards and the variable queries through Prometheus' HTTP API:
// each must succeed and return at least one series, and every alerting
// rule must evaluate without error.
func TestDashboardQueriesAgainstPrometheus(t *testing.T) {
	t.Parallel()
	bin := testenv.LookPath(t, "prometheus", "/usr/bin/prometheus")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The scraped server: metrics behind the HTTP middleware, as the
	// reference server will do.
	cfg := testConfig()
	cfg.SampleInterval = 200 * time.Millisecond
	b := setup(t, cfg)
	enqueue(t, b.q, "default", taskq.PriorityHigh, 3, time.Time{})
	enqueue(t, b.q, "mail", taskq.PriorityLow, 2, time.Now().Add(time.Hour))
	require.NoError(t, b.m.Start(ctx))
	t.Cleanup(b.m.Stop)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(b.reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(b.m.HTTPMiddleware(mux))
	t.Cleanup(srv.Close)

	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	wg.Go(func() { syntheticWorkload(ctx, b) })

	prom := startPrometheus(t, bin, srv.Listener.Addr().String())

	// Wait (bounded) until a few scrapes are stored and the rules ran.
	waitFor(t, 25*time.Second, func() bool {
		r, err := prom.query(`count_over_time(up{job="taskq"}[1m]) >= 4 and up{job="taskq"} == 1`)
		return err == nil && len(r) == 1
	}, "Prometheus did not scrape the test server 4 times")

	exprs := dashboardExprs(t)
	require.Greater(t, len(exprs), 30)
	for _, e := range exprs {
		q := grafanaVars.Replace(e)
		res, err := prom.query(q)
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

	waitFor(t, 10*time.Second, func() bool {
		rules, err := prom.rules()
		require.NoError(t, err)
		for _, r := range rules {
			require.NotEqual(t, "err", r.Health, "rule %s: %s", r.Name, r.LastError)
		}
		ok := 0
		for _, r := range rules {
			if r.Health == "ok" {
				ok++
			}
		}
		return ok == 6
	}, "the alerting rules did not all evaluate")
}

// labelValuesQuery parses Grafana's label_values(metric, label).
var labelValuesQuery = regexp.MustCompile(`^label_values\(\s*(\w+)\s*,\s*(\w+)\s*\)$`)

// syntheticWorkload reports a bit of everything until ctx ends.
func syntheticWorkload(ctx context.Context, b *bundle) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		workload(b.m)
		b.m.SetDLQSize(i)
		b.m.DeadLetterCleanup(1, i, 3*time.Millisecond, nil)
		if i%5 == 0 {
			b.m.DeadLetterCleanup(0, i, time.Millisecond, fmt.Errorf("cleanup %d failed", i))
			b.m.BreakerState("smtp", i%3)
		}
	}
}

type promServer struct {
	base string
	c    *http.Client
}

// startPrometheus runs bin scraping target every second, in a temp dir,
// on a free loopback port, and stops it by PID at cleanup.
func startPrometheus(t *testing.T, bin, target string) *promServer {
	t.Helper()
	dir := t.TempDir()
	rules, err := filepath.Abs("prometheus/alerts.yml")
	require.NoError(t, err)
	conf := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: taskq
    static_configs:
      - targets: [%q]
`, rules, target)
	confPath := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(confPath, []byte(conf), 0o600))

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testenv.FreePort(t)))
	logs := &lockedBuffer{b: &bytes.Buffer{}}
	cmd := exec.Command(bin,
		"--config.file="+confPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	})

	p := &promServer{base: "http://" + addr, c: &http.Client{Timeout: 5 * time.Second}}
	waitFor(t, 20*time.Second, func() bool {
		select {
		case <-exited:
			t.Fatalf("prometheus exited:\n%s", logs.String())
		default:
		}
		res, err := p.c.Get(p.base + "/-/ready")
		if err != nil {
			return false
		}
		_ = res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, "prometheus not ready")
	return p
}

// apiResponse is the envelope of Prometheus' HTTP API.
type apiResponse struct {
	Status string          `json:"status"`
	Error  string          `json:"error"`
	Data   json.RawMessage `json:"data"`
}

func (p *promServer) get(path string, params url.Values, data any) error {
	res, err := p.c.Get(p.base + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%s: %d %s", path, res.StatusCode, body)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s: %s", path, r.Error)
	}
	return json.Unmarshal(r.Data, data)
}

// query evaluates an instant query and returns its series.
func (p *promServer) query(q string) ([]json.RawMessage, error) {
	var data struct {
		ResultType string            `json:"resultType"`
		Result     []json.RawMessage `json:"result"`
	}
	if err := p.get("/api/v1/query", url.Values{"query": {q}}, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("result type %s, want vector", data.ResultType)
	}
	return data.Result, nil
}

func (p *promServer) labelValues(label, match string) ([]string, error) {
	var values []string
	err := p.get("/api/v1/label/"+url.PathEscape(label)+"/values", url.Values{"match[]": {match}}, &values)
	return values, err
}

type ruleState struct {
	Name      string `json:"name"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
}

func (p *promServer) rules() ([]ruleState, error) {
	var data struct {
		Groups []struct {
			Rules []ruleState `json:"rules"`
		} `json:"groups"`
	}
	if err := p.get("/api/v1/rules", url.Values{}, &data); err != nil {
		return nil, err
	}
	var out []ruleState
	for _, g := range data.Groups {
		out = append(out, g.Rules...)
	}
	return out, nil
}

// lockedBuffer is a bytes.Buffer safe for the two writers of a process.
type lockedBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
