// Package breaker provides named circuit breakers, one per external service
// or host, built on github.com/failsafe-go/failsafe-go's circuitbreaker.
//
// A [Registry] creates breakers lazily by name from a default [Config] and
// per-name overrides. A handler wraps each call to a dependency in
// [Registry.Do] (or [Breaker.Do]); while the breaker is open the call is not
// made and Do returns a retryable *taskq.Error with code service_unavailable
// whose RetryAfter is the time left before the breaker may half-open, and
// which matches [ErrOpen] with errors.Is. The worker asks [Breaker.Allow] and
// [Breaker.RemainingDelay] before starting tasks that depend on a breaker.
//
// State changes reach the logs, [RegistryConfig.OnStateChange] and an
// [Observer] (the hook the metrics package implements). Each process keeps its
// own breakers; nothing is shared between processes.
package breaker
