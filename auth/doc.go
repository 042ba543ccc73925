// Package auth authenticates and throttles callers of the taskq HTTP API:
// signed JWTs (github.com/lestrrat-go/jwx/v2) and hashed API keys, the admin
// and user roles, GCRA rate limiting in memory or shared through Redis, and
// per-IP blocking after repeated authentication failures.
//
// API keys are the server's vocabulary, not the task library's: Role,
// APIKey and the KeyStore interface live here, with an in-memory KeyStore
// (NewMemoryKeyStore); auth/pgkeys keeps keys in PostgreSQL and
// auth/keystoretest is the conformance suite both pass.
//
// The package holds no HTTP handlers: the server wires its pieces. Failed
// authentications are *taskq.Error values with code unauthorized whose
// Reason (see ReasonOf) is a small fixed set, fit for a metric label.
package auth
