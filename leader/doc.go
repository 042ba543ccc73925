// Package leader elects one leader among the replicas of a deployment, so
// that work that must run in one place at a time (the periodic scheduler of
// package periodic, or the maintenance loops of a worker given an Elector
// in worker.Config) runs on exactly one of them.
//
// # Leases
//
// Leadership is a lease on a name, held in a [Store]: the in-memory
// [MemoryStore] (one process, tests), Redis (package leader/redisleader)
// or PostgreSQL (package leader/pgleader). A lease has a holder, an expiry
// measured by the store's own clock, and a fencing token: a number that
// strictly increases with every acquisition of the name, whoever acquires
// it. Work done on behalf of a leader can carry its token, so that a
// resource that remembers the highest token it has seen can refuse a late
// write from an earlier leader.
//
// # The Elector
//
// An [Elector] campaigns for a name: every RetryInterval it tries to
// acquire the lease. Once it holds it, it calls the lead function given to
// [Elector.Run] with a context that ends when leadership ends, and renews
// the lease every RenewInterval. Leadership ends when
//
//   - a renewal is refused (the lease expired and may have gone to
//     another replica: the elector was a stale leader);
//   - renewals keep failing (the store is unreachable) until the lease can
//     no longer be trusted: the elector steps down at 9/10 of the TTL after
//     the start of its last successful acquisition or renewal, before the
//     store lets the lease expire;
//   - the context of Run ends: the elector then releases the lease, so
//     another replica takes over at its next attempt.
//
// # Failover bound
//
// With the defaults (TTL 10s, RenewInterval TTL/3, RetryInterval equal to
// RenewInterval), a leader that dies without releasing its lease is
// replaced within TTL + RetryInterval (about 13.3s) plus one store round
// trip: the lease expires at most TTL after the last renewal, and every
// other elector tries to acquire it at least once per RetryInterval. A
// leader that stops gracefully is replaced within RetryInterval.
//
// Two electors never both believe they lead at the same moment as long as
// the clocks of the replicas do not run faster than the store's clock by
// more than a tenth of the TTL over one TTL: each leader stops acting at
// 9/10 of a TTL measured from before its request reached the store.
// Fencing tokens cover what this cannot: a pause (GC, a suspended VM)
// between a check and the action it guards.
package leader
