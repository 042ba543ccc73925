package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/taskq/taskq"
)

// reqInfo travels with a request (by pointer in its context) so the
// outer middleware can log what the inner layers learned.
type reqInfo struct {
	id        string
	route     string // the mux pattern; "" when none matched
	principal string
	clientIP  string
	clientKey string // the client IP grouped as the IP guard groups it (/64 for IPv6)
}

type ctxKey struct{}

func infoOf(ctx context.Context) *reqInfo {
	if i, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

// requestID returns the request id of ctx ("" outside a request).
func requestID(ctx context.Context) string { return infoOf(ctx).id }

// validRequestID reports whether an incoming X-Request-ID may be echoed:
// 1 to 128 characters of [A-Za-z0-9._-].
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withRequestID echoes a valid X-Request-ID or generates one, on the
// response and in the request's context.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header()["X-Request-Id"] = []string{id} // X-Request-ID, canonical
		info := &reqInfo{id: id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, info)))
	})
}

// securityHeaderList holds the security headers every response carries,
// keys canonical. The value slices are shared by every response: a header
// is only ever replaced (Set) or appended to (Add, which copies a full
// slice), never written in place.
var securityHeaderList = []struct {
	key   string
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"Cache-Control", []string{"no-store"}},
}

// withSecurityHeaders sets the security headers of docs/api.md on every response, and
// Strict-Transport-Security when the connection is TLS.
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, kv := range securityHeaderList {
			h[kv.key] = kv.value[:1:1]
		}
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *recorder) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// withObservation records every request in the HTTP metrics (by route
// pattern, never the raw path) and the access log. The log holds no
// header, body or query: no secret reaches it.
func (s *Server) withObservation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		info := infoOf(r.Context())
		code := rec.status()
		s.metrics.ObserveHTTP(r.Method, info.route, code, d)
		level := slog.LevelInfo
		if !strings.HasPrefix(r.URL.Path, "/api/") && code < 400 {
			level = slog.LevelDebug // health probes and scrapes
		}
		s.log.LogAttrs(r.Context(), level, "request",
			slog.String("request_id", info.id),
			slog.String("method", r.Method),
			slog.String("path", clip(r.URL.Path, 256)),
			slog.String("route", info.route),
			slog.Int("status", code),
			slog.Int64("bytes", rec.bytes),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.String("principal", info.principal),
			slog.String("client_ip", info.clientIP),
		)
	})
}

// withRecover turns a panic into a logged 500 with a generic body.
func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "handler panicked", "request_id", requestID(r.Context()),
				"panic", v, "stack", string(debug.Stack()))
			if rec, ok := w.(*recorder); ok && rec.code != 0 {
				panic(http.ErrAbortHandler) // the response started: cut the connection
			}
			s.writeError(w, r, &statusError{status: http.StatusInternalServerError, err: apiError(taskq.CodeInternal, "")})
		}()
		next.ServeHTTP(w, r)
	})
}

// withBodyLimit refuses bodies over MaxBodyBytes: at once when the
// Content-Length says so, otherwise when reading passes the limit.
func (s *Server) withBodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			s.writeError(w, r, errBodyTooLarge)
			return
		}
		if hasBody(r) && !isJSONContentType(r.Header.Get("Content-Type")) {
			s.writeError(w, r, errNotJSON)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// errNotJSON answers a body that is not declared as JSON: 415.
var errNotJSON = &statusError{
	status: http.StatusUnsupportedMediaType,
	err:    apiError(taskq.CodeInvalidInput, "request bodies must be Content-Type: application/json"),
}

// hasBody reports whether r carries a body: a positive Content-Length or a
// chunked one. An empty POST (a retry, a cleanup with defaults) needs no
// Content-Type.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// isJSONContentType accepts application/json with optional parameters
// (charset=utf-8).
func isJSONContentType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// routeErrors is the ResponseWriter of the mux for a request that matched
// no pattern: it turns the mux's plain-text 404 and 405 (whose Allow
// header it keeps) into the JSON error shape.
type routeErrors struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	swallow bool
}

func (w *routeErrors) WriteHeader(code int) {
	if w.r.Pattern == "" && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) {
		w.swallow = true
		if code == http.StatusNotFound {
			w.s.writeError(w.ResponseWriter, w.r, apiError(taskq.CodeNotFound, "no such route"))
		} else {
			w.s.writeError(w.ResponseWriter, w.r, &statusError{status: http.StatusMethodNotAllowed,
				err: apiError(taskq.CodeInvalidInput, "method "+w.r.Method+" is not allowed here; see the Allow header")})
		}
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *routeErrors) Write(b []byte) (int, error) {
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *routeErrors) Unwrap() http.ResponseWriter { return w.ResponseWriter }
