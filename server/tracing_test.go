package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/server/tasktypes"
	"github.com/taskq/taskq/taskqotel"
	"github.com/taskq/taskq/worker"
)

// TestTracingAcrossWorkers: a request carrying a client's traceparent
// creates a task through the server (tracer provider A); another worker
// with its own tracer provider (B), sharing only the backends, runs it.
// One trace links them: client → HTTP span → enqueue span → attempt span
// (in B) → the handler's ctx. Exporters are in memory.
func TestTracingAcrossWorkers(t *testing.T) {
	t.Parallel()
	const clientTrace, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			expA, expB := tracetest.NewInMemoryExporter(), tracetest.NewInMemoryExporter()
			tpA := sdktrace.NewTracerProvider(sdktrace.WithSyncer(expA))
			tpB := sdktrace.NewTracerProvider(sdktrace.WithSyncer(expB))
			deps := be.deps(t)
			ran := make(chan trace.SpanContext, 1)
			deps.TaskTypes = []tasktypes.Type{{Name: "traced", Handler: taskq.HandlerFunc(func(context.Context, *taskq.Task) (any, error) { return nil, nil })}}
			deps.TracerProvider = tpA
			deps.Worker = func(c *worker.Config) { c.Queues = []string{"elsewhere"} } // the server's worker runs none of them
			b := setup(t, Config{}, deps, true)

			// Worker B: another worker, another tracer provider, the same
			// backends.
			trB := taskqotel.New(taskqotel.Config{TracerProvider: tpB})
			wB, err := worker.New(trB.Storage(b.s.store), trB.Queue(b.s.queue), worker.Config{Tracer: trB, PollInterval: 20 * time.Millisecond})
			require.NoError(t, err)
			wB.HandleFunc("traced", func(ctx context.Context, _ *taskq.Task) (any, error) {
				ran <- trace.SpanContextFromContext(ctx)
				return map[string]any{"ok": true}, nil
			})
			require.NoError(t, wB.Start(t.Context()))
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = wB.Stop(ctx)
			})

			w := b.admin(req{method: "POST", path: "/api/tasks", body: `{"type":"traced"}`,
				header: map[string]string{"traceparent": "00-" + clientTrace + "-" + clientSpan + "-01"}})
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			id := decode[map[string]any](t, w)["id"].(string)
			var handlerSpan trace.SpanContext
			select {
			case handlerSpan = <-ran:
			case <-time.After(10 * time.Second):
				t.Fatal("worker B did not run the task within 10s")
			}
			b.waitStatus(id, taskq.StatusCompleted)

			byName := func(spans tracetest.SpanStubs, name string) tracetest.SpanStub {
				for _, s := range spans {
					if s.Name == name {
						return s
					}
				}
				t.Fatalf("no span %q among %d", name, len(spans))
				return tracetest.SpanStub{}
			}
			httpSpan := byName(expA.GetSpans(), "POST /api/tasks")
			enq := byName(expA.GetSpans(), "taskq.enqueue")
			create := byName(expA.GetSpans(), "taskq.storage.CreateTask")
			var attempt tracetest.SpanStub
			require.Eventually(t, func() bool {
				for _, s := range expB.GetSpans() {
					if s.Name == "taskq.attempt" {
						attempt = s
						return true
					}
				}
				return false
			}, 5*time.Second, 10*time.Millisecond, "the attempt span ends after the outcome is recorded")

			require.Equal(t, clientTrace, httpSpan.SpanContext.TraceID().String(), "the HTTP span continues the client's trace")
			require.Equal(t, clientSpan, httpSpan.Parent.SpanID().String())
			require.Equal(t, httpSpan.SpanContext.SpanID(), enq.Parent.SpanID(), "enqueue is a child of the request")
			require.Equal(t, enq.SpanContext.SpanID(), create.Parent.SpanID(), "the storage call is a child of the enqueue")
			require.Equal(t, clientTrace, attempt.SpanContext.TraceID().String(), "the attempt in worker B is in the same trace")
			require.Equal(t, enq.SpanContext.SpanID(), attempt.Parent.SpanID(), "the attempt's parent is the enqueue span")
			require.True(t, attempt.Parent.IsRemote(), "restored from the stored context")
			require.Equal(t, attempt.SpanContext.SpanID(), handlerSpan.SpanID(), "the handler's ctx carries the attempt span")
			attrs := map[attribute.Key]attribute.Value{}
			for _, kv := range attempt.Attributes {
				attrs[kv.Key] = kv.Value
			}
			require.Equal(t, id, attrs[taskqotel.AttrTaskID].AsString())
			require.Equal(t, "traced", attrs[taskqotel.AttrTaskType].AsString())
			require.EqualValues(t, 1, attrs[taskqotel.AttrAttempt].AsInt64())
			require.Equal(t, string(taskq.OutcomeCompleted), attrs[taskqotel.AttrOutcome].AsString())
			require.Equal(t, trace.SpanKindConsumer, attempt.SpanKind)
			outcome := byName(expB.GetSpans(), "taskq.storage.UpdateAttempt")
			require.Equal(t, attempt.SpanContext.SpanID(), outcome.Parent.SpanID(), "the outcome write is a child of the attempt")
		})
	}
}
