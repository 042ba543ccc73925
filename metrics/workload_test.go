package metrics_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/server"
)

// Rate limit of the workload server: low, so that one principal's burst
// exceeds it.
const (
	workloadRateLimit = 20
	workloadRateBurst = 20
)

// failingHost answers 500 to everything: the http task calling it trips
// its circuit breaker.
func failingHost(t *testing.T) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// workloadConfig is the server configuration of the workload: two queues,
// fast retries, low rate limits, no IP block for the few failed
// authentications, and the failing host allowed for the http task type.
func workloadConfig(failing *httptest.Server) server.Config {
	cfg := server.Config{
		Queues:          []string{"default", "mail"},
		Concurrency:     4,
		RetryBaseDelay:  10 * time.Millisecond,
		RetryMaxDelay:   50 * time.Millisecond,
		RateLimit:       workloadRateLimit,
		RateBurst:       workloadRateBurst,
		AuthFailLimit:   1000, // every request comes from 127.0.0.1: do not block it
		HTTPAllow:       []string{failing.Listener.Addr().String()},
		ShutdownTimeout: 10 * time.Second,
		Schedules:       []server.ScheduleConfig{{Name: "beat", Spec: "@every 1s", Type: "noop"}},
		// Room for the workload's tasks, not for one oversized metadata.
		QuotaMetadataBytes: 48 << 10,
	}
	cfg.DLQ.Backoff = 10 * time.Millisecond
	return cfg
}

// runWorkload drives the server through its HTTP API with a bit of
// everything the dashboards show: every built-in task type (with
// completions, retries, dead letters, a cancellation and a breaker-open
// reschedule), listing, a DLQ retry, delete and cleanup, failed
// authentications of several reasons, a burst over the rate limit, 404s,
// a validation error, a paused queue and a quota refusal.
func runWorkload(t *testing.T, s *taskqServer, failing *httptest.Server) {
	t.Helper()
	_, user := s.newKey("workload", auth.RoleUser)
	revokedID, revoked := s.newKey("revoked", auth.RoleUser)
	_, burner := s.newKey("burner", auth.RoleUser)
	s.do(http.StatusNoContent, http.MethodDelete, "/api/keys/"+revokedID, adminKey, nil)
	s.do(http.StatusOK, http.MethodGet, "/api/keys", adminKey, nil)

	// Tasks of every built-in type.
	var done []*taskq.Task
	for i, p := range []string{"low", "medium", "high", "critical"} {
		done = append(done, s.create(user, map[string]any{"type": "noop", "priority": p, "description": fmt.Sprint("noop ", i)}))
	}
	done = append(done,
		s.create(user, map[string]any{"type": "sleep", "metadata": map[string]any{"duration_ms": 30}}),
		s.create(user, map[string]any{"type": "sleep", "queue": "mail", "metadata": map[string]any{"duration_ms": 80}}),
		s.create(user, map[string]any{"type": "flaky", "max_retries": 3, "metadata": map[string]any{"failures": 2}}),
	)
	long := s.create(user, map[string]any{"type": "sleep", "metadata": map[string]any{"duration_ms": 30000}})
	later := s.create(user, map[string]any{"type": "noop", "queue": "mail", "run_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	dropped := s.create(user, map[string]any{"type": "noop", "run_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	var dead []*taskq.Task
	for range 3 {
		dead = append(dead, s.create(user, map[string]any{"type": "fail", "metadata": map[string]any{"retryable": false}}))
	}
	dead = append(dead, s.create(user, map[string]any{"type": "fail", "max_retries": 1}))
	httpTask := s.create(user, map[string]any{"type": "http", "max_retries": 20, "metadata": map[string]any{"url": failing.URL + "/hook"}})
	s.do(http.StatusUnprocessableEntity, http.MethodPost, "/api/tasks", user, map[string]any{"type": "no-such-type"})

	for _, tk := range done {
		s.waitStatus(user, tk.ID, taskq.StatusCompleted)
	}
	for _, tk := range dead {
		s.waitStatus(user, tk.ID, taskq.StatusDeadLetter)
	}

	// Cancel a running task and a scheduled one.
	s.waitStatus(user, long.ID, taskq.StatusRunning)
	s.do(http.StatusOK, http.MethodDelete, "/api/tasks/"+long.ID, user, nil)
	s.do(http.StatusOK, http.MethodDelete, "/api/tasks/"+dropped.ID, user, nil)
	s.waitStatus(user, long.ID, taskq.StatusCancelled)

	// Reads.
	s.do(http.StatusOK, http.MethodGet, "/api/tasks?limit=5", user, nil)
	s.do(http.StatusOK, http.MethodGet, "/api/tasks?status=completed&type=noop", user, nil)
	s.do(http.StatusOK, http.MethodGet, "/api/tasks/"+later.ID, user, nil)
	s.do(http.StatusNotFound, http.MethodGet, "/api/tasks/00000000-0000-0000-0000-000000000000", user, nil)
	s.do(http.StatusNotFound, http.MethodGet, "/api/nothing-here", user, nil)
	s.do(http.StatusOK, http.MethodGet, "/health", "", nil)

	// The dead letter queue: list, retry (dies again), delete, cleanup of
	// everything dead so far; then one more dead task stays.
	s.do(http.StatusOK, http.MethodGet, "/api/dlq", adminKey, nil)
	s.do(http.StatusForbidden, http.MethodGet, "/api/dlq", user, nil)
	s.do(http.StatusOK, http.MethodPost, "/api/dlq/"+dead[0].ID+"/retry", adminKey, nil)
	s.waitStatus(user, dead[0].ID, taskq.StatusDeadLetter)
	s.do(http.StatusNoContent, http.MethodDelete, "/api/dlq/"+dead[1].ID, adminKey, nil)
	res := decodeJSON[map[string]int](t, s.do(http.StatusOK, http.MethodPost, "/api/dlq/cleanup", adminKey,
		map[string]any{"older_than": time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)}))
	require.Equal(t, map[string]int{"cleaned": 3, "remaining": 0}, res)
	last := s.create(user, map[string]any{"type": "fail", "metadata": map[string]any{"retryable": false}})
	s.waitStatus(user, last.ID, taskq.StatusDeadLetter)

	// The mail queue paused (its scheduled task waits anyway); a task
	// over the owner's metadata quota refused.
	s.do(http.StatusForbidden, http.MethodPost, "/api/queues/mail/pause", user, nil)
	s.do(http.StatusOK, http.MethodPost, "/api/queues/mail/pause", adminKey, nil)
	eventually(t, 10*time.Second, func() (bool, string) {
		code, body := s.raw(http.MethodPost, "/api/tasks", user,
			map[string]any{"type": "noop", "metadata": map[string]any{"blob": strings.Repeat("x", 50<<10)}})
		return code == http.StatusTooManyRequests && strings.Contains(string(body), `"quota_exceeded"`), string(body)
	}, "the task over the metadata quota was not refused")

	// Failed authentications: unknown, malformed and revoked keys, a bad
	// bearer token; and a request without credentials (401, not a failure).
	for range 5 {
		unknown, _ := auth.GenerateAPIKey()
		code, body := s.raw(http.MethodGet, "/api/tasks", unknown, nil)
		require.Equal(t, http.StatusUnauthorized, code, "%s", body)
	}
	for _, key := range []string{"wrong", revoked, "Bearer not.a.token"} {
		code, body := s.raw(http.MethodGet, "/api/tasks", key, nil)
		require.Equal(t, http.StatusUnauthorized, code, "%s", body)
	}
	code, _ := s.raw(http.MethodGet, "/api/tasks", "", nil)
	require.Equal(t, http.StatusUnauthorized, code)

	// One principal over its rate limit.
	limited := 0
	for range 3 * workloadRateBurst {
		if code, _ := s.raw(http.MethodGet, "/api/tasks?limit=1", burner, nil); code == http.StatusTooManyRequests {
			limited++
		}
	}
	require.Positive(t, limited, "the burst was not rate limited")

	// The http task failed against the 500 host until its breaker opened,
	// which put it back without using a retry.
	eventually(t, 10*time.Second, func() (bool, string) {
		code, body := s.raw(http.MethodGet, "/api/tasks/"+httpTask.ID, user, nil)
		if code != http.StatusOK {
			return false, string(body)
		}
		tk := decodeJSON[*taskq.Task](t, body)
		return tk.Status == taskq.StatusPending && tk.RetryCount >= 5, fmt.Sprint(tk.Status, " retries ", tk.RetryCount)
	}, "the http task was not held back by its open breaker")
}

// backgroundTraffic keeps a varied load on the server for d (for the
// rendered dashboard): a steady stream of tasks of every type, a backlog
// every 10s, failed authentications, rate-limited bursts, DLQ retries and
// cleanups, scheduled tasks and calls to the failing host.
func backgroundTraffic(t *testing.T, s *taskqServer, failing *httptest.Server, d time.Duration) {
	t.Helper()
	_, user := s.newKey("traffic", auth.RoleUser)
	_, burner := s.newKey("traffic-burner", auth.RoleUser)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		create := func(key string, body map[string]any) {
			if code, b := s.raw(http.MethodPost, "/api/tasks", key, body); code != http.StatusCreated && code != http.StatusTooManyRequests {
				t.Fatalf("create %v: %d %s", body, code, b)
			}
		}
		create(user, map[string]any{"type": "noop", "priority": i % 4})
		s.raw(http.MethodGet, "/api/tasks?limit=5", user, nil)
		if i%2 == 0 {
			create(user, map[string]any{"type": "sleep", "metadata": map[string]any{"duration_ms": 20 + i*37%250}})
		}
		if i%4 == 1 {
			create(user, map[string]any{"type": "flaky", "max_retries": 3, "metadata": map[string]any{"failures": 1 + i%2}})
		}
		if i%6 == 3 {
			create(user, map[string]any{"type": "fail", "metadata": map[string]any{"retryable": false}})
		}
		if i%9 == 5 {
			create(user, map[string]any{"type": "fail", "max_retries": 2})
		}
		if i%20 == 7 {
			create(user, map[string]any{"type": "noop", "queue": "mail", "run_at": time.Now().Add(15 * time.Second).UTC().Format(time.RFC3339Nano)})
		}
		if i%40 == 10 { // a backlog on the mail queue
			for j := range 18 {
				create(adminKey, map[string]any{"type": "sleep", "queue": "mail", "priority": j % 4, "metadata": map[string]any{"duration_ms": 250}})
			}
		}
		if i%40 == 30 {
			for range 1 + i%3 {
				unknown, _ := auth.GenerateAPIKey()
				s.raw(http.MethodGet, "/api/tasks", unknown, nil)
			}
			s.raw(http.MethodGet, "/api/tasks", "wrong", nil)
		}
		if i%60 == 45 {
			for range 30 {
				s.raw(http.MethodGet, "/api/tasks?limit=1", burner, nil)
			}
		}
		if i%50 == 20 {
			if code, b := s.raw(http.MethodGet, "/api/dlq?limit=1", adminKey, nil); code == http.StatusOK {
				page := decodeJSON[struct{ Tasks []taskq.Task }](t, b)
				if len(page.Tasks) > 0 {
					s.raw(http.MethodPost, "/api/dlq/"+page.Tasks[0].ID+"/retry", adminKey, nil)
				}
			}
		}
		if i%100 == 90 {
			s.raw(http.MethodPost, "/api/dlq/cleanup", adminKey,
				map[string]any{"older_than": time.Now().Add(-10 * time.Second).UTC().Format(time.RFC3339Nano)})
		}
		if i%80 == 40 { // the mail queue paused for 5s now and then
			s.raw(http.MethodPost, "/api/queues/mail/pause", adminKey, nil)
		}
		if i%80 == 60 {
			s.raw(http.MethodPost, "/api/queues/mail/resume", adminKey, nil)
		}
		if i%120 == 60 {
			create(user, map[string]any{"type": "http", "max_retries": 20, "metadata": map[string]any{"url": failing.URL + "/hook"}})
		}
		s.raw(http.MethodGet, "/nothing", "", nil)
	}
}
