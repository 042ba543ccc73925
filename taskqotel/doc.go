// Package taskqotel traces taskq with OpenTelemetry: one span per enqueue
// call, one per attempt of a task, and spans for the backend calls of the
// Client and the worker; the trace context of an enqueue is stored with
// the task, so an attempt in another process continues the trace of the
// request that created the task.
//
// Tracing is off unless configured: pass a Tracer as ClientConfig.Tracer
// and worker.Config.Tracer, and wrap the backends with Queue and Storage
// for backend spans. With nil Tracers no tracing code runs.
//
//	tr := taskqotel.New(taskqotel.Config{TracerProvider: tp})
//	store, queue := tr.Storage(store), tr.Queue(queue)
//	client, _ := taskq.NewClient(store, queue, taskq.ClientConfig{Tracer: tr})
//	w := worker.New(store, queue, worker.Config{Tracer: tr})
//
// A handler's ctx carries its attempt's span: spans it starts (an HTTP
// call with otelhttp, a database query) are children of the attempt.
package taskqotel
