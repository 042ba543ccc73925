// Package server is the taskq reference HTTP server: it wires the library
// packages (worker, dlq, auth, metrics, breaker and the queue and storage
// backends) into the HTTP API of docs/api.md. The server is thin: what a
// library user would also need lives in the library.
//
// [LoadConfig] reads flags and TASKQ_* environment variables into a
// [Config]; [OpenBackends] opens Redis and PostgreSQL when configured, the
// in-memory backends otherwise; [New] builds a [Server] whose Handler
// serves the API; [Run] does all of it and serves until its context ends,
// then shuts down gracefully. The binary is server/cmd/taskq-server.
package server
