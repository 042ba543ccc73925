// Package queuetest is the conformance suite of [taskq.Queue]: every
// implementation's tests call [Run] with a factory, like
// testing/slogtest.Run for slog handlers.
//
// Every case runs in parallel on a fresh instance from the factory and on
// queue names unique to the case, so implementations that share one server
// (Redis) need no flushing between cases. Cases assert only through the
// interface; backend-specific checks belong in the backend's own tests.
package queuetest
