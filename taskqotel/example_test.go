package taskqotel_test

import (
	"context"
	"fmt"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/taskqotel"
	"github.com/taskq/taskq/worker"
)

// Trace an enqueue and the attempt that runs it: the attempt continues
// the enqueue's trace through the context stored with the task.
func Example() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tr := taskqotel.New(taskqotel.Config{TracerProvider: tp})

	store, q := tr.Storage(storage.NewMemory()), tr.Queue(queue.NewMemory())
	client, _ := taskq.NewClient(store, q, taskq.ClientConfig{Tracer: tr})
	w, _ := worker.New(store, q, worker.Config{Tracer: tr})
	done := make(chan struct{})
	w.HandleFunc("hello", func(ctx context.Context, t *taskq.Task) (any, error) {
		close(done)
		return nil, nil
	})
	_ = w.Start(context.Background())
	defer w.Stop(context.Background())

	ctx, root := tp.Tracer("example").Start(context.Background(), "request")
	_, _ = client.Enqueue(ctx, "hello", nil)
	root.End()
	<-done
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, s := range exp.GetSpans() {
			if s.Name == "taskq.attempt" {
				fmt.Println("same trace:", s.SpanContext.TraceID() == root.SpanContext().TraceID())
				return
			}
		}
	}
	// Output: same trace: true
}
