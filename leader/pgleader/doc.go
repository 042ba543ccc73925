// Package pgleader is the PostgreSQL implementation of leader.Store, on
// the pool and schema of a storage/postgres Store.
//
// Leases are rows of {schema}.leader_leases(name, holder, token,
// expires_at), created by the storage's migration 0004 (Open and New of
// storage/postgres apply it). Every operation is one statement using the
// database clock (clock_timestamp()), so the replicas' clocks do not
// matter:
//
//   - Acquire is an INSERT ... ON CONFLICT DO UPDATE whose update applies
//     only when the row has expired; it sets the holder, increments the
//     token and sets the expiry. Concurrent acquirers serialize on the
//     row lock, and the loser sees the winner's unexpired lease.
//   - Renew is a conditional UPDATE: same holder, same token, not expired.
//   - Release is a conditional UPDATE that sets expires_at to now, keeping
//     the row (and so the token) for the next acquisition.
//
// No session state is used (no advisory lock), so it works through
// transaction-pooling poolers such as PgBouncer.
package pgleader
