// Package auth authenticates and throttles callers of the taskq HTTP API:
// signed JWTs (github.com/lestrrat-go/jwx/v2) and hashed API keys, the admin
// and user roles, GCRA rate limiting in memory or shared through Redis, and
// per-IP blocking after repeated authentication failures.
//
// The package holds no HTTP handlers: the server wires its pieces. Failed
// authentications are *taskq.Error values with code unauthorized whose
// Reason (see ReasonOf) is a small fixed set, fit for a metric label.
package auth
