package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// knownMethods are the method label values kept as is; others are Other.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	http.MethodConnect: true, http.MethodTrace: true,
}

func normMethod(m string) string {
	if knownMethods[m] {
		return m
	}
	return Other
}

// ObserveHTTP records one served request in http_requests_total and
// http_request_duration_seconds. route must be the mux pattern that
// matched (r.Pattern, e.g. "GET /api/tasks/{id}"; a leading method is
// dropped, the method label comes from method), never the raw path; ""
// means no pattern matched and is reported as Unmatched. Routes beyond
// Config.MaxLabelValues, methods outside the standard ones and codes
// outside 100-599 are reported as Other.
func (m *Metrics) ObserveHTTP(method, route string, code int, d time.Duration) {
	_, route = splitPattern(route)
	if route == "" {
		route = Unmatched
	} else {
		route, _ = m.routes.get(route)
	}
	method = normMethod(method)
	c := Other
	if code >= 100 && code <= 599 {
		c = strconv.Itoa(code)
	}
	m.httpRequests.WithLabelValues(method, route, c).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// InstrumentHandler wraps the handler of one route: every request it
// serves is recorded with ObserveHTTP under route (the pattern it is
// registered with). Use it per pattern:
//
//	mux.Handle(p, m.InstrumentHandler(p, h))
func (m *Metrics) InstrumentHandler(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() { m.finish(r.Method, route, sw, start, recover()) }()
		next.ServeHTTP(sw, r)
	})
}

// HTTPMiddleware wraps a whole http.ServeMux: after the mux has served a
// request it records it under r.Pattern, the pattern the mux matched
// (Unmatched when none did). The mux sets r.Pattern on the request it
// receives, so next must be the mux itself, or middleware that passes the
// same *http.Request on: a middleware in between that replaces the request
// (r.WithContext, r.Clone) hides the pattern; wrap the mux's routes with
// InstrumentHandler instead in that case.
func (m *Metrics) HTTPMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() { m.finish(r.Method, r.Pattern, sw, start, recover()) }()
		next.ServeHTTP(sw, r)
	})
}

// finish records a request; a handler that panicked before writing a
// status is recorded as 500 and the panic goes on to net/http.
func (m *Metrics) finish(method, route string, sw *statusWriter, start time.Time, panicked any) {
	code := sw.status()
	if panicked != nil && sw.code == 0 {
		code = http.StatusInternalServerError
	}
	m.ObserveHTTP(method, route, code, time.Since(start))
	if panicked != nil {
		panic(panicked)
	}
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher when the underlying writer does.
func (w *statusWriter) Flush() {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// status is the code written, 200 when the handler wrote nothing.
func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
