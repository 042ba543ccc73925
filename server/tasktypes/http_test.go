package tasktypes

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/breaker"
)

type httpBundle struct {
	srv   *httptest.Server
	typ   Type
	reg   *breaker.Registry
	hits  atomic.Int64
	other *httptest.Server
}

// setupHTTP starts a test server on 127.0.0.1 and an http type allowed to
// call it (and nothing else).
func setupHTTP(t *testing.T, cfg HTTPConfig) *httpBundle {
	t.Helper()
	b := &httpBundle{}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, r.Method+" "+r.Header.Get("Content-Type")+" "+string(body))
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		switch r.PathValue("code") {
		case "500":
			w.WriteHeader(500)
		case "404":
			w.WriteHeader(404)
		case "429":
			w.WriteHeader(429)
		}
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 1<<20))
	})
	mux.HandleFunc("/redirect-same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/redirect-other", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, b.other.URL+"/secret", http.StatusFound)
	})
	mux.HandleFunc("/redirect-localhost", func(w http.ResponseWriter, r *http.Request) {
		u, _ := url.Parse(b.srv.URL)
		http.Redirect(w, r, "http://localhost:"+u.Port()+"/ok", http.StatusFound)
	})
	mux.HandleFunc("/redirect-userinfo", func(w http.ResponseWriter, r *http.Request) {
		u, _ := url.Parse(b.srv.URL)
		http.Redirect(w, r, "http://user:pw@"+u.Host+"/ok", http.StatusFound)
	})
	mux.HandleFunc("/redirect-loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/redirect-loop", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	var otherHits atomic.Int64
	b.other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		_, _ = io.WriteString(w, "secret")
	}))
	t.Cleanup(func() {
		b.other.Close()
		require.Zero(t, otherHits.Load(), "a host off the list was called")
	})
	u, err := url.Parse(b.srv.URL)
	require.NoError(t, err)
	cfg.Allow, err = ParseAllowList([]string{u.Host})
	require.NoError(t, err)
	if cfg.Breakers == nil {
		b.reg = breaker.NewRegistry(breaker.RegistryConfig{Default: breaker.Config{FailureThreshold: 3, Delay: time.Hour}})
		cfg.Breakers = b.reg
	}
	b.typ, err = NewHTTPType(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		b.typ.Handler.(*httpHandler).client.CloseIdleConnections()
	})
	return b
}

func (b *httpBundle) run(t *testing.T, md map[string]any) (map[string]any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := b.typ.Handler.ProcessTask(ctx, &taskq.Task{ID: "t1", Type: HTTP, Metadata: md})
	if res == nil {
		return nil, err
	}
	return res.(map[string]any), err
}

func TestHTTPGetAndPost(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, HTTPConfig{})
	res, err := b.run(t, map[string]any{"url": b.srv.URL + "/ok"})
	require.NoError(t, err)
	require.Equal(t, 200, res["status"])
	require.Equal(t, "GET  ", res["body"])
	require.Equal(t, false, res["truncated"])
	require.Equal(t, map[string]string{"Content-Type": "text/plain"}, res["headers"])

	res, err = b.run(t, map[string]any{"url": b.srv.URL + "/ok", "method": "post", "body": map[string]any{"a": float64(1)}})
	require.NoError(t, err)
	require.Equal(t, `POST application/json {"a":1}`, res["body"])

	res, err = b.run(t, map[string]any{"url": b.srv.URL + "/ok", "method": "PUT", "body": "raw"})
	require.NoError(t, err)
	require.Equal(t, "PUT  raw", res["body"])
}

func TestHTTPValidate(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, HTTPConfig{})
	v := b.typ.Validate
	require.Empty(t, v(map[string]any{"url": b.srv.URL + "/x", "method": "delete"}))
	fields := func(md map[string]any) []string {
		var out []string
		for _, p := range v(md) {
			out = append(out, p.Field)
		}
		return out
	}
	require.Equal(t, []string{"metadata.url"}, fields(map[string]any{}))
	require.Equal(t, []string{"metadata.url"}, fields(map[string]any{"url": "http://example.com/"}))
	require.Equal(t, []string{"metadata.url"}, fields(map[string]any{"url": b.other.URL}))
	require.Equal(t, []string{"metadata.url"}, fields(map[string]any{"url": strings.Replace(b.srv.URL, "http://", "http://u:p@", 1)}))
	require.Equal(t, []string{"metadata.method"}, fields(map[string]any{"url": b.srv.URL, "method": "CONNECT"}))
	require.Equal(t, []string{"metadata.body"}, fields(map[string]any{"url": b.srv.URL, "body": strings.Repeat("x", MaxHTTPBody+1)}))
}

func TestHTTPStatusHandling(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, HTTPConfig{})

	_, err := b.run(t, map[string]any{"url": b.srv.URL + "/status/404"})
	require.Error(t, err)
	require.False(t, taskq.AsError(err).Retryable, "4xx is permanent")

	_, err = b.run(t, map[string]any{"url": b.srv.URL + "/status/429"})
	require.True(t, taskq.AsError(err).Retryable)

	// 5xx is retryable and trips the host's breaker after 3 failures (the
	// 429 above counted as one).
	for range 2 {
		_, err = b.run(t, map[string]any{"url": b.srv.URL + "/status/500"})
		require.True(t, taskq.AsError(err).Retryable)
	}
	host, _, _ := net.SplitHostPort(strings.TrimPrefix(b.srv.URL, "http://"))
	require.Equal(t, breaker.Open, b.reg.Get(BreakerName(host)).State())
	hits := b.hits.Load()
	_, err = b.run(t, map[string]any{"url": b.srv.URL + "/status/500"})
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	require.ErrorIs(t, err, breaker.ErrOpen)
	require.Equal(t, hits, b.hits.Load(), "an open breaker makes no call")
}

func TestHTTPRedirects(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, HTTPConfig{})
	res, err := b.run(t, map[string]any{"url": b.srv.URL + "/redirect-same"})
	require.NoError(t, err)
	require.Equal(t, "GET  ", res["body"])

	for _, path := range []string{"/redirect-other", "/redirect-localhost", "/redirect-userinfo", "/redirect-loop"} {
		_, err := b.run(t, map[string]any{"url": b.srv.URL + path})
		require.Error(t, err, path)
		require.False(t, taskq.AsError(err).Retryable, path)
		require.Equal(t, taskq.CodeForbidden, taskq.CodeOf(err), path)
	}
	host, _, _ := net.SplitHostPort(strings.TrimPrefix(b.srv.URL, "http://"))
	require.Equal(t, breaker.Closed, b.reg.Get(BreakerName(host)).State(), "refusals do not count against the host")
}

func TestHTTPRefusedAtRunTime(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, HTTPConfig{})
	for _, u := range []string{"http://169.254.169.254/latest/meta-data", b.other.URL, "file:///etc/passwd"} {
		_, err := b.run(t, map[string]any{"url": u})
		require.ErrorIs(t, err, taskq.ErrValidation, u)
		require.False(t, taskq.AsError(err).Retryable)
	}
}

func TestHTTPBoundedResponse(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, HTTPConfig{MaxResponseBytes: 1000})
	res, err := b.run(t, map[string]any{"url": b.srv.URL + "/big"})
	require.NoError(t, err)
	require.Equal(t, true, res["truncated"])
	require.Len(t, res["body"], 1000)
}

func TestHTTPTimeout(t *testing.T) {
	t.Parallel()
	b := setupHTTP(t, HTTPConfig{Timeout: 50 * time.Millisecond})
	_, err := b.run(t, map[string]any{"url": b.srv.URL + "/slow"})
	require.Error(t, err)
	require.True(t, taskq.AsError(err).Retryable)
	require.NotContains(t, err.Error(), b.srv.URL, "the error does not repeat the URL")
}
