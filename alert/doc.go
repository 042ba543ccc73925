// Package alert sends webhook alerts about a taskq deployment: a task moved
// to the dead letter queue, the DLQ growing over a threshold, a circuit
// breaker opening, half-opening or closing.
//
// Each event becomes one task of type [TaskType] per configured URL, so
// deliveries are durable and retried with backoff by the engine's own
// worker. A delivery is an HTTP POST of the event's JSON, signed with
// HMAC-SHA256 over the timestamp and the body (see [Sign]); receivers check
// it with [Verify].
//
// Wiring: create a [Notifier] with [New], wrap the dead letter queue given
// to the worker with [Notifier.WrapDLQ], pass [Notifier.BreakerChanged] as
// breaker.RegistryConfig.OnStateChange, call [Notifier.Register] on the
// worker that serves Config.Queue, then [Notifier.Start] (and
// [Notifier.Stop] on shutdown).
package alert
