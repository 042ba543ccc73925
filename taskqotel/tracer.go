package taskqotel

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/taskq/taskq"
)

// ScopeName is the instrumentation scope of taskq's spans.
const ScopeName = "github.com/taskq/taskq"

// Span attribute keys.
const (
	AttrTaskID    = attribute.Key("taskq.task.id")
	AttrTaskType  = attribute.Key("taskq.task.type")
	AttrQueue     = attribute.Key("taskq.queue")
	AttrAttempt   = attribute.Key("taskq.task.attempt")
	AttrOutcome   = attribute.Key("taskq.outcome")
	AttrBatchSize = attribute.Key("taskq.batch.size")
	AttrBackend   = attribute.Key("taskq.backend")
)

// Config configures a Tracer.
type Config struct {
	// TracerProvider creates the tracer. Nil: otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// Propagator writes and reads the trace context stored with a task.
	// Nil: W3C Trace Context (traceparent, tracestate).
	Propagator propagation.TextMapPropagator
}

// Tracer implements taskq.Tracer with OpenTelemetry.
type Tracer struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

var _ taskq.Tracer = (*Tracer)(nil)

// New returns a Tracer.
func New(cfg Config) *Tracer {
	tp := cfg.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	prop := cfg.Propagator
	if prop == nil {
		prop = propagation.TraceContext{}
	}
	return &Tracer{tracer: tp.Tracer(ScopeName), prop: prop}
}

// StartEnqueue starts a producer span "taskq.enqueue" and stores its
// context in every task of ts.
func (t *Tracer) StartEnqueue(ctx context.Context, ts []*taskq.Task) (context.Context, func(error)) {
	attrs := []attribute.KeyValue{AttrBatchSize.Int(len(ts))}
	if len(ts) == 1 {
		attrs = append(attrs, AttrTaskID.String(ts[0].ID), AttrTaskType.String(ts[0].Type), AttrQueue.String(ts[0].Queue))
	}
	ctx, span := t.tracer.Start(ctx, "taskq.enqueue", trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(attrs...))
	carrier := propagation.MapCarrier{}
	t.prop.Inject(ctx, carrier)
	if len(carrier) > 0 {
		for _, tk := range ts {
			tk.TraceContext = map[string]string(carrier)
		}
	}
	return ctx, func(err error) { end(span, err) }
}

// StartAttempt starts a consumer span "taskq.attempt" whose parent is the
// trace context stored with task (the enqueue's span).
func (t *Tracer) StartAttempt(ctx context.Context, task *taskq.Task) (context.Context, func(taskq.Outcome, error)) {
	if len(task.TraceContext) > 0 {
		ctx = t.prop.Extract(ctx, propagation.MapCarrier(task.TraceContext))
	}
	ctx, span := t.tracer.Start(ctx, "taskq.attempt", trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		AttrTaskID.String(task.ID), AttrTaskType.String(task.Type), AttrQueue.String(task.Queue), AttrAttempt.Int(task.Attempts)))
	return ctx, func(out taskq.Outcome, err error) {
		span.SetAttributes(AttrOutcome.String(string(out)))
		end(span, err)
	}
}

// end records err on span (an error status) and ends it.
func end(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// backendSpan starts a client span for one backend call.
func (t *Tracer) backendSpan(ctx context.Context, name, backend string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(append(attrs, AttrBackend.String(backend))...))
}
