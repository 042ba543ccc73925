package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestObserveHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	m, reg := b.m, b.reg

	m.ObserveHTTP("GET", "GET /api/tasks/{id}", 200, 3*time.Millisecond)
	m.ObserveHTTP("GET", "/api/tasks/{id}", 404, time.Millisecond)
	m.ObserveHTTP("BREW", "/health", 200, time.Millisecond)
	m.ObserveHTTP("GET", "", 404, time.Millisecond)
	m.ObserveHTTP("GET", "/health", 42, time.Millisecond)

	require.Equal(t, 1.0, mustValue(t, reg, "http_requests_total", "method", "GET", "route", "/api/tasks/{id}", "code", "200"))
	require.Equal(t, 1.0, mustValue(t, reg, "http_requests_total", "method", "GET", "route", "/api/tasks/{id}", "code", "404"))
	require.Equal(t, 2.0, mustValue(t, reg, "http_request_duration_seconds", "method", "GET", "route", "/api/tasks/{id}"))
	require.Equal(t, 1.0, mustValue(t, reg, "http_requests_total", "method", Other, "route", "/health", "code", "200"))
	require.Equal(t, 1.0, mustValue(t, reg, "http_requests_total", "method", "GET", "route", Unmatched, "code", "404"))
	require.Equal(t, 1.0, mustValue(t, reg, "http_requests_total", "method", "GET", "route", "/health", "code", Other))
}

func TestHTTPRoutesBounded(t *testing.T) {
	t.Parallel()
	cfg := testConfig() // 3 routes pre-created
	cfg.MaxLabelValues = 4
	b := setup(t, cfg)
	for _, r := range []string{"/a", "/b", "/c"} {
		b.m.ObserveHTTP("GET", r, 200, time.Millisecond)
	}
	require.Equal(t, 1.0, mustValue(t, b.reg, "http_requests_total", "method", "GET", "route", "/a", "code", "200"))
	require.Equal(t, 2.0, mustValue(t, b.reg, "http_requests_total", "method", "GET", "route", Other, "code", "200"))
}

// newMux serves two patterns; /boom panics.
func newMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("POST /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	return mux
}

func serve(h http.Handler, method, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code
}

func TestHTTPMiddlewareUsesThePattern(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	h := b.m.HTTPMiddleware(newMux())

	require.Equal(t, 200, serve(h, "GET", "/api/tasks/0193abc"))
	require.Equal(t, 200, serve(h, "GET", "/api/tasks/0193def"))
	require.Equal(t, 404, serve(h, "GET", "/api/tasks/missing"))
	require.Equal(t, 404, serve(h, "GET", "/nowhere/12345"))
	require.Equal(t, 405, serve(h, "DELETE", "/api/tasks/1"))
	require.Panics(t, func() { serve(h, "POST", "/boom") }, "the panic goes on to net/http")

	reg := b.reg
	require.Equal(t, 2.0, mustValue(t, reg, "http_requests_total", "method", "GET", "route", "/api/tasks/{id}", "code", "200"))
	require.Equal(t, 1.0, mustValue(t, reg, "http_requests_total", "method", "GET", "route", "/api/tasks/{id}", "code", "404"))
	require.Equal(t, 1.0, mustValue(t, reg, "http_requests_total", "method", "GET", "route", Unmatched, "code", "404"))
	require.Equal(t, 1.0, mustValue(t, reg, "http_requests_total", "method", "DELETE", "route", Unmatched, "code", "405"))
	require.Equal(t, 1.0, mustValue(t, reg, "http_requests_total", "method", "POST", "route", "/boom", "code", "500"))
	// No raw path ever becomes a label value.
	text := scrape(t, reg)
	require.NotContains(t, text, "0193abc")
	require.NotContains(t, text, "nowhere")
}

func TestInstrumentHandler(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig())
	mux := http.NewServeMux()
	const p = "GET /api/tasks/{id}"
	mux.Handle(p, b.m.InstrumentHandler(p, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		w.WriteHeader(http.StatusTeapot) // superfluous: ignored by net/http and by us
	})))
	mux.Handle("GET /stream", b.m.InstrumentHandler("GET /stream", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.(http.Flusher).Flush()
	})))

	require.Equal(t, 202, serve(mux, "GET", "/api/tasks/42"))
	require.Equal(t, 200, serve(mux, "GET", "/stream"))
	require.Equal(t, 1.0, mustValue(t, b.reg, "http_requests_total", "method", "GET", "route", "/api/tasks/{id}", "code", "202"))
	require.Equal(t, 1.0, mustValue(t, b.reg, "http_requests_total", "method", "GET", "route", "/stream", "code", "200"))
}
