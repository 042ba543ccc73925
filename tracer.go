package taskq

import "context"

// Tracer traces enqueues and attempts. Package taskqotel implements it
// with OpenTelemetry. A nil Tracer (ClientConfig.Tracer,
// worker.Config.Tracer) turns tracing off at no cost.
type Tracer interface {
	// StartEnqueue starts the span of one enqueue call creating ts and
	// records its trace context in each task's TraceContext, before the
	// tasks are stored. end ends the span with the call's error.
	StartEnqueue(ctx context.Context, ts []*Task) (_ context.Context, end func(error))
	// StartAttempt starts the span of one attempt of t, continuing the
	// trace recorded in t.TraceContext; the handler runs with the returned
	// context. end ends the span with the attempt's outcome and error.
	StartAttempt(ctx context.Context, t *Task) (_ context.Context, end func(Outcome, error))
}
