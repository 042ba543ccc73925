// Package worker runs handlers for tasks leased from a taskq.Queue whose
// records live in a taskq.StorageAdapter.
//
// A Worker registers one handler per task type (Handle, like
// http.ServeMux), runs up to Config.Concurrency handlers at once, leases
// tasks in strict priority order (FIFO inside a priority) or by weights,
// under cluster-wide caps per queue and type and start rates per type
// enforced by the queue backend (Config.Limits; a capped task waits in the
// queue without using a retry), extends leases while handlers run, reaps the leases of lost workers
// (counted as a failed attempt), retries retryable errors with exponential
// backoff and jitter, applies per-attempt timeouts and absolute deadlines,
// recovers panics, moves exhausted or permanent failures to the dead letter
// queue, cancels handlers of cancelled tasks, re-pushes records missing from
// the queue, deletes finished tasks past their retention
// (Config.TaskRetention), relays the tasks created inside the storage's
// transactions when the storage has an outbox (taskq.OutboxRelay,
// Config.NoOutboxRelay), and shuts down without losing a task.
//
// # Maintenance
//
// The reaper, the reconciler, the retention of finished tasks and the
// cleanup of the worker's own dead letter queue are the maintenance loops.
// Without Config.Elector every worker runs them, which is right for one
// worker; replicas give each worker an elector on a shared lease store
// (package leader), and only the elected worker runs them, so the others
// scan nothing. When the elected worker dies, another is elected within
// the election's TTL plus its retry interval and reaps the dead worker's
// tasks once their leases expire.
//
// # Lifecycle
//
// Start checks that a shared queue belongs to the worker's storage
// (taskq.BindQueue) and starts the maintenance loops, among them the
// retention job of the worker's own dead letter queue
// (Config.DeadLetterConfig). Stop(ctx) stops leasing and waits
// for running handlers until ctx ends; then it cancels them (their
// context.Cause is taskq.ErrShutdown) and gives their tasks back without
// using a retry, abandoning handlers that ignore their context (whatever
// they return later is dropped), so Stop returns shortly after ctx ends.
// StopAndCancel does the same at once. A handler stopped because its task
// was cancelled sees taskq.ErrTaskCancelled; one whose lease was taken
// away, taskq.ErrLeaseLost.
//
// Handle panics when a type already has a handler. A task whose type has
// no handler here is put back without using a retry during
// Config.UnhandledGrace (rolling deploys), then fails for good. Subscribe
// delivers the outcome of every attempt as a taskq.Event.
//
// A handler reports how far it got with taskq.ReportProgress: the worker
// stores it on the task (taskq.ProgressWriter, fenced by the attempt)
// from a goroutine of its own, at most once per Config.ProgressInterval,
// and writes the last report before the attempt's outcome.
//
// # Throughput
//
// The fetcher leases in batches of up to Concurrency + Prefetch tasks.
// A record is marked running when its handler is about to start; the
// starts of runners starting at the same time share one StartTasks call
// (a lone start goes out at once; starts arriving while a call is in
// flight go out together when it returns). Runners give their handler
// slot back as soon as the handler returns and then record the outcome,
// so durable writes (group commits) never hold handlers; acks go out in
// batches from one loop. Prefetched tasks wait locally, not yet marked
// running, with their leases extended like the running ones'.
//
// On PostgreSQL alone (a postgres.Store with Config.Dispatch and the
// Queue made by its Store.Queue) the tasks leased for handlers that are
// free have their records started by the lease statement itself
// (postgres.Queue.LeaseAndStart): one round trip and one commit between
// the enqueue's commit and the handler instead of two. The same Queue's
// completions need no acknowledgement: storing a task's terminal status
// removes its entry.
package worker
