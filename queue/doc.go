// Package queue holds the in-memory [taskq.Queue], built by [NewMemory]: the
// embedded default when no Redis is configured, and the backend of tests and
// examples. Its dispatch state lives in one process and is lost when it
// exits.
//
// The memory queue does not implement [taskq.QueueBinding]: its state is
// reachable only through the Go value, so it is shared between storages
// only by code that hands one value to both, never by configuration, which
// is what the binding of a shared queue (Redis, two deployments on one key
// prefix) guards against. Give each storage its own [NewMemory].
//
// The Redis implementation is in package queue/redisqueue; the conformance
// suite that every implementation passes is in package queue/queuetest.
package queue
