// Package queue holds the in-memory [taskq.Queue], built by [NewMemory]: the
// embedded default when no Redis is configured, and the backend of tests and
// examples. Its dispatch state lives in one process and is lost when it
// exits.
//
// The Redis implementation is in package queue/redisqueue; the conformance
// suite that every implementation passes is in package queue/queuetest.
package queue
