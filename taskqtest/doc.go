// Package taskqtest helps test code that uses taskq.
//
//   - New starts an in-memory engine (client, worker, storage and queue)
//     with short timers, stopped when the test ends; its WaitIdle and
//     WaitStatus wait on the worker's events instead of sleeping.
//   - RequireEnqueued and RequireNotEnqueued assert that code under test
//     enqueued (or did not enqueue) a typed task with given arguments.
//   - Run calls a typed handler directly, without a queue.
//
// The helpers take a TB, which *testing.T and *testing.B satisfy.
package taskqtest

// TB is the part of testing.TB the helpers use.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}
