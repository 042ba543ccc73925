// Package storagetest is the conformance suite of [taskq.StorageAdapter]
// and [taskq.KeyStore]: every backend's tests call [Run] (and, when the
// backend stores API keys, [RunKeyStore]) with a factory returning a fresh,
// isolated instance, so all cases run in parallel.
//
// Tasks built by the suite carry UTC times truncated to microseconds (what
// PostgreSQL stores), JSON-shaped metadata (float64 numbers), and timeouts
// in whole milliseconds; results are compared as JSON values, so a backend
// may reformat them.
package storagetest
