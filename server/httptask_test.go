package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func TestHTTPTaskType(t *testing.T) {
	t.Parallel()
	var hits, failHits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write(append([]byte(r.Method+":"), body...))
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		failHits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	u, err := url.Parse(ts.URL)
	require.NoError(t, err)
	b := setup(t, Config{HTTPAllow: []string{u.Host}}, Deps{}, true)

	tk := b.createTask(testAdminKey, map[string]any{"type": "http", "metadata": map[string]any{"url": ts.URL + "/ok", "method": "POST", "body": "ping"}})
	done := b.waitStatus(tk.ID, taskq.StatusCompleted)
	require.JSONEq(t, `{"status":200,"body":"POST:ping","truncated":false,"headers":{"Content-Type":"text/plain; charset=utf-8"}}`, string(done.Result))
	require.EqualValues(t, 1, hits.Load())

	// Another port of the same host is off the list: 422 at creation.
	requireError(t, b.admin(req{method: "POST", path: "/api/tasks", body: map[string]any{"type": "http", "metadata": map[string]any{"url": "http://" + u.Hostname() + ":1/"}}}), 422, taskq.CodeValidation)

	// A failing host trips its breaker after 5 failures; the task is then
	// put back without using its retries, and the host is not called again.
	failing := b.createTask(testAdminKey, map[string]any{"type": "http", "max_retries": 20, "metadata": map[string]any{"url": ts.URL + "/fail"}})
	metric := func() string { return b.do(req{method: "GET", path: "/metrics"}).Body.String() }
	waitFor(t, 10*time.Second, func() bool {
		return strings.Contains(metric(), `tasks_processed_total{status="rescheduled",type="http"} 1`)
	}, func() string { return "the task was not put back by the open breaker" })
	m := metric()
	require.Contains(t, m, `circuit_breaker_state{breaker="http:127.0.0.1"} 2`)
	require.Contains(t, m, `circuit_breaker_trips_total{breaker="http:127.0.0.1"} 1`)
	got := b.getTask(failing.ID)
	require.Equal(t, taskq.StatusPending, got.Status)
	require.Equal(t, 5, got.RetryCount, "the rejected attempt used no retry")
	require.EqualValues(t, 5, failHits.Load())
}
