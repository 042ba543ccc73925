package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTracingFromEnv: off unless the OTEL_* environment asks for it; on,
// spans reach the OTLP/HTTP endpoint (a loopback recorder here) when the
// provider shuts down.
func TestTracingFromEnv(t *testing.T) { // not parallel: it sets the environment
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, m := range []map[string]string{
		{},
		{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"},
		{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"},
	} {
		tp, shutdown, err := TracingFromEnv(t.Context(), env(m))
		require.NoError(t, err)
		require.Nil(t, tp, "%v: tracing is off", m)
		require.NoError(t, shutdown(t.Context()))
	}
	_, _, err := TracingFromEnv(t.Context(), env(map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}))
	require.ErrorContains(t, err, "only otlp and none")

	var posts atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" {
			b, _ := io.ReadAll(r.Body)
			if len(b) > 0 {
				posts.Add(1)
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(collector.Close)
	// The exporter reads OTEL_EXPORTER_OTLP_* from the process
	// environment.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	tp, shutdown, err := TracingFromEnv(t.Context(), env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}))
	require.NoError(t, err)
	require.NotNil(t, tp)
	_, span := tp.Tracer("test").Start(context.Background(), "one")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, shutdown(ctx))
	require.Positive(t, posts.Load(), "spans were exported to the endpoint")
}
