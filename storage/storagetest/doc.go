// Package storagetest is the conformance suite of [taskq.StorageAdapter]:
// every backend's tests call [Run] with a factory returning a fresh,
// isolated instance, so all cases run in parallel.
//
// Tasks built by the suite carry UTC times truncated to microseconds (what
// PostgreSQL stores), metadata in the form every storage returns (JSON
// types, numbers as json.Number; the Metadata cases check that Go values
// such as ints, int64 above 2^53, floats, nested maps and slices come back
// in that form, equal from CreateTask and later reads), and timeouts in
// whole milliseconds; results are compared as JSON values, so a backend may
// reformat them.
package storagetest
