package metrics

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testclock"
	"github.com/taskq/taskq/queue"
)

// newFakeClock is a settable clock for Config.Now.
func newFakeClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
}

type bundle struct {
	reg   *prometheus.Registry
	m     *Metrics
	q     *queue.Memory
	clock *testclock.Clock
}

// testConfig is a Config with known label values of every kind.
func testConfig() Config {
	return Config{
		TaskTypes: []string{"email", "http"},
		Routes:    []string{"GET /api/tasks/{id}", "POST /api/tasks", "/health"},
		Breakers:  []string{"smtp"},
	}
}

// setup builds Metrics on a fresh registry with a memory queue and a fake
// clock (unless cfg sets them), logging through t.
func setup(t *testing.T, cfg Config) *bundle {
	t.Helper()
	b := &bundle{reg: prometheus.NewRegistry(), clock: newFakeClock()}
	if cfg.Queue == nil {
		b.q = queue.NewMemory()
		t.Cleanup(func() { _ = b.q.Close() })
		cfg.Queue = b.q
	}
	if cfg.Now == nil {
		cfg.Now = b.clock.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(tWriter{t}, nil))
	}
	m, err := New(b.reg, cfg)
	require.NoError(t, err)
	b.m = m
	return b
}

// tWriter sends logs to t.Log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// value returns the value of the series name{labels} (the sample count of
// a histogram) and whether it exists.
func value(t *testing.T, g prometheus.Gatherer, name string, labels ...string) (float64, bool) {
	t.Helper()
	require.Zero(t, len(labels)%2, "labels come in pairs")
	mfs, err := g.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, mt := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range mt.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			if len(got) != len(labels)/2 {
				continue
			}
			for i := 0; i < len(labels); i += 2 {
				if v, ok := got[labels[i]]; !ok || v != labels[i+1] {
					continue series
				}
			}
			switch {
			case mt.GetCounter() != nil:
				return mt.GetCounter().GetValue(), true
			case mt.GetGauge() != nil:
				return mt.GetGauge().GetValue(), true
			case mt.GetHistogram() != nil:
				return float64(mt.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

// mustValue is value that requires the series to exist.
func mustValue(t *testing.T, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	v, ok := value(t, g, name, labels...)
	require.True(t, ok, "series %s%v missing", name, labels)
	return v
}

// countSeries returns how many series family name has.
func countSeries(t *testing.T, g prometheus.Gatherer, name string) int {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

// workload drives every kind of event once or more.
func workload(m *Metrics) {
	m.TaskFinished("email", taskq.OutcomeCompleted, 30*time.Millisecond)
	m.TaskFinished("email", taskq.OutcomeRetry, 2*time.Second)
	m.TaskFinished("http", taskq.OutcomeDeadLetter, 200*time.Millisecond)
	m.TaskFinished("http", taskq.OutcomeRescheduled, 0)
	m.TaskFinished("http", taskq.OutcomeCancelled, time.Second)
	m.TaskRecovered(taskq.RecoveredLeaseExpired)
	m.TaskOrphaned(taskq.DefaultQueue)
	m.TaskUnhandled("resize")
	m.DeadLetterMoved(1)
	m.DeadLetterCleanup(3, 7, 15*time.Millisecond, nil)
	m.RateLimitExceeded(ScopeIP)
	m.AuthFailure("unknown_key")
	m.BreakerTrip("smtp")
	m.BreakerState("smtp", BreakerOpen)
	m.ObserveHTTP("GET", "GET /api/tasks/{id}", 200, 3*time.Millisecond)
	m.ObserveHTTP("POST", "POST /api/tasks", 503, 40*time.Millisecond)
	m.ObserveHTTP("GET", "", 404, time.Millisecond)
	m.SetDLQSize(7)
}

// scrape serves g with promhttp like the server does and returns the
// exposition text.
func scrape(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	return string(body)
}

// waitFor polls cond every 5ms until it holds or d elapses.
func waitFor(t *testing.T, d time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v: %s", d, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
