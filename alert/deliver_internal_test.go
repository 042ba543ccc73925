package alert

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

const token = "TOKEN-do-not-leak"

// deliverOnce builds a Notifier for url, emits one event and runs the
// delivery handler once on its task, as the worker would.
func deliverOnce(t *testing.T, url string, cfg Config) (any, error) {
	t.Helper()
	client, err := taskq.NewClient(storage.NewMemory(), queue.NewMemory(), taskq.ClientConfig{})
	require.NoError(t, err)
	cfg.URLs, cfg.Secret = []string{url}, []byte("0123456789abcdef")
	n, err := New(client, cfg)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, n.Emit(ctx, Event{Kind: KindBreakerOpened, Data: map[string]any{"breaker": "db"}}))
	page, err := client.List(ctx, taskq.TaskFilter{Type: TaskType})
	require.NoError(t, err)
	require.Len(t, page.Tasks, 1)
	return n.deliver(ctx, page.Tasks[0])
}

func TestDeliveryOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		header     http.Header
		retryable  bool
		code       taskq.ErrorCode
		retryAfter time.Duration
		message    string
	}{
		{"200 done", 200, nil, false, "", 0, ""},
		{"202 done", 202, nil, false, "", 0, ""},
		{"400 permanent", 400, nil, false, taskq.CodeTaskExecutionFailed, 0, "answered 400 Bad Request"},
		{"401 permanent", 401, nil, false, taskq.CodeTaskExecutionFailed, 0, "answered 401 Unauthorized"},
		{"404 permanent", 404, nil, false, taskq.CodeTaskExecutionFailed, 0, "answered 404 Not Found"},
		{"408 retried", 408, nil, true, taskq.CodeServiceUnavailable, 0, "answered 408"},
		{"429 retried after", 429, http.Header{"Retry-After": {"7"}}, true, taskq.CodeRateLimitExceeded, 7 * time.Second, "answered 429"},
		{"500 retried", 500, nil, true, taskq.CodeServiceUnavailable, 0, "answered 500"},
		{"503 retried after a date", 503, http.Header{"Retry-After": {time.Now().Add(10 * time.Minute).UTC().Format(http.TimeFormat)}}, true, taskq.CodeServiceUnavailable, 10 * time.Minute, "answered 503"},
		{"503 Retry-After capped", 503, http.Header{"Retry-After": {"86400"}}, true, taskq.CodeServiceUnavailable, DefaultRetryMaxDelay, "answered 503"},
		{"503 bad Retry-After ignored", 503, http.Header{"Retry-After": {"soon"}}, true, taskq.CodeServiceUnavailable, 0, "answered 503"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte("line one\nline two\x00" + strings.Repeat("x", 100<<10)))
			}))
			defer srv.Close()
			res, err := deliverOnce(t, srv.URL+"/"+token, Config{})
			if tc.code == "" {
				require.NoError(t, err)
				require.Equal(t, deliveryResult{Status: tc.status, Host: strings.TrimPrefix(srv.URL, "http://")}, res)
				return
			}
			te := taskq.AsError(err)
			require.Equal(t, tc.code, te.Code)
			require.Equal(t, tc.retryable, te.Retryable)
			// A date gives about the time left (the clock moved meanwhile).
			require.InDelta(t, float64(tc.retryAfter), float64(te.RetryAfter), float64(5*time.Second))
			require.Contains(t, te.Message, tc.message)
			require.Contains(t, te.Message, "line one line two", "the answer's start, on one line")
			require.Less(t, len(te.Message), 400, "the answer is cut short")
			require.NotContains(t, err.Error(), token)
		})
	}
}

// A redirect is not followed and fails the delivery for good.
func TestRedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	var followed atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Add(1)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	_, err := deliverOnce(t, srv.URL+"/hook", Config{})
	te := taskq.AsError(err)
	require.False(t, te.Retryable)
	require.Contains(t, te.Message, "307")
	require.Contains(t, te.Message, "redirects are not followed")
	require.Zero(t, followed.Load())
}

// A receiver that cannot be reached, or answers too slowly, is retried;
// the error names the host, never the URL.
func TestTransportErrorsAreRetryable(t *testing.T) {
	t.Parallel()
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL + "/" + token
		srv.Close()
		_, err := deliverOnce(t, url, Config{})
		te := taskq.AsError(err)
		require.Equal(t, taskq.CodeNetwork, te.Code)
		require.True(t, te.Retryable)
		require.Contains(t, te.Message, "POST to 127.0.0.1:")
		require.NotContains(t, err.Error(), token)
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		_, err := deliverOnce(t, srv.URL+"/"+token, Config{Timeout: 50 * time.Millisecond})
		te := taskq.AsError(err)
		require.Equal(t, taskq.CodeNetwork, te.Code)
		require.True(t, te.Retryable)
		require.Contains(t, te.Message, "timed out")
		require.NotContains(t, err.Error(), token)
	})
}

// A task whose target is no longer configured, or whose event is
// malformed, fails for good without a request.
func TestUnusableTasksFailForGood(t *testing.T) {
	t.Parallel()
	client, err := taskq.NewClient(storage.NewMemory(), queue.NewMemory(), taskq.ClientConfig{})
	require.NoError(t, err)
	n, err := New(client, Config{URLs: []string{"http://127.0.0.1:1/hook"}, Secret: []byte("0123456789abcdef")})
	require.NoError(t, err)
	tg := n.targets[0].id
	for name, meta := range map[string]map[string]any{
		"unknown target": {metaTarget: "feedface", metaEvent: map[string]any{"id": "1", "kind": "x"}},
		"no event":       {metaTarget: tg},
		"bad event":      {metaTarget: tg, metaEvent: "not an object"},
		"no kind":        {metaTarget: tg, metaEvent: map[string]any{"id": "1"}},
	} {
		_, err := n.deliver(context.Background(), &taskq.Task{ID: "t", Type: TaskType, Metadata: meta})
		te := taskq.AsError(err)
		require.False(t, te.Retryable, name)
		require.Equal(t, taskq.CodeValidation, te.Code, name)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"0":                             0,
		"120":                           2 * time.Minute,
		"99999999999":                   24 * time.Hour,
		"Thu, 02 Jan 2025 03:05:05 GMT": time.Minute,
		"Thu, 02 Jan 2025 03:00:00 GMT": 0,
	} {
		got, ok := retryAfter(v, now)
		require.True(t, ok, v)
		require.Equal(t, want, got, v)
	}
	for _, v := range []string{"", "-1", "soon", "1.5"} {
		_, ok := retryAfter(v, now)
		require.False(t, ok, v)
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	require.Equal(t, "abc", truncate("abc", 3))
	require.Equal(t, "ab…", truncate("abcd", 2))
	require.Equal(t, "a…", truncate("aé", 2), "never cuts a UTF-8 sequence")
}
