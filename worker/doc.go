// Package worker runs handlers for tasks leased from a taskq.Queue whose
// records live in a taskq.StorageAdapter.
//
// A Worker registers one handler per task type (Handle, like
// http.ServeMux), runs up to Config.Concurrency handlers at once, leases
// tasks in strict priority order (FIFO inside a priority) or by weights,
// extends leases while handlers run, reaps the leases of lost workers
// (counted as a failed attempt), retries retryable errors with exponential
// backoff and jitter, applies per-attempt timeouts and absolute deadlines,
// recovers panics, moves exhausted or permanent failures to the dead letter
// queue, cancels handlers of cancelled tasks, re-pushes records missing from
// the queue, and shuts down without losing a task.
//
// # Throughput
//
// The fetcher leases in batches of up to Concurrency + Prefetch tasks and
// marks each batch running with one StartTasks call; runners give their
// handler slot back as soon as the handler returns and then record the
// outcome, so durable writes (group commits) never hold handlers; acks go
// out in batches from one loop. Prefetched tasks wait locally, marked
// running, with their leases extended like the running ones'.
package worker
