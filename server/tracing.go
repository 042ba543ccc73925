package server

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/taskq/taskq/taskqotel"
)

// TracingFromEnv returns a tracer provider configured from the standard
// OpenTelemetry environment, or nil when tracing is off (the default).
// Tracing is on when OTEL_TRACES_EXPORTER is "otlp", or when it is unset
// and OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
// set; OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn it off.
// Spans go to an OTLP/HTTP exporter configured by the OTEL_EXPORTER_OTLP_*
// variables, the service is named by OTEL_SERVICE_NAME (default
// taskq-server) and sampled by OTEL_TRACES_SAMPLER. shutdown flushes the
// spans and must be called at exit.
func TracingFromEnv(ctx context.Context, getenv func(string) string) (tp trace.TracerProvider, shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return nil, noop, nil
	}
	switch exp := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); exp {
	case "otlp":
	case "":
		if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return nil, noop, nil
		}
	case "none":
		return nil, noop, nil
	default:
		return nil, noop, errors.New("OTEL_TRACES_EXPORTER: only otlp and none are supported, not " + exp)
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, noop, err
	}
	if getenv("OTEL_SERVICE_NAME") == "" && os.Getenv("OTEL_SERVICE_NAME") == "" {
		_ = os.Setenv("OTEL_SERVICE_NAME", "taskq-server") // read by resource.WithFromEnv
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, noop, err
	}
	p := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	return p, p.Shutdown, nil
}

// tracing holds what the server traces with; nil when tracing is off.
type tracing struct {
	tracer *taskqotel.Tracer
	http   trace.Tracer
	prop   propagation.TextMapPropagator
}

func newTracing(tp trace.TracerProvider) *tracing {
	if tp == nil {
		return nil
	}
	return &tracing{
		tracer: taskqotel.New(taskqotel.Config{TracerProvider: tp}),
		http:   tp.Tracer(taskqotel.ScopeName + "/server"),
		prop:   propagation.TraceContext{},
	}
}

// withTracing starts a server span per request, continuing a trace the
// client sent in traceparent; the span is named after the route.
func (s *Server) withTracing(next http.Handler) http.Handler {
	if s.tracing == nil {
		return next
	}
	tr := s.tracing
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := tr.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tr.http.Start(ctx, "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", clip(r.URL.Path, 256))))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(ctx))
		if route := infoOf(r.Context()).route; route != "" {
			span.SetName(route)
			span.SetAttributes(attribute.String("http.route", route))
		}
		span.SetAttributes(attribute.Int("http.response.status_code", sw.code), attribute.String("taskq.request_id", infoOf(r.Context()).id))
		if sw.code >= 500 {
			span.SetStatus(codes.Error, http.StatusText(sw.code))
		}
	})
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
