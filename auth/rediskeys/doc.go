// Package rediskeys is an auth.KeyStore on Redis (github.com/redis/rueidis):
// the API keys of the reference server when it runs on Redis alone
// (storage/redisstore and queue/redisqueue). Like auth/pgkeys it is
// separate from the task storage: an application embedding taskq as a
// library needs neither.
//
// # Key layout
//
// Every key carries the hash tag {prefix} (Config.KeyPrefix, default
// "taskq", the prefix of storage/redisstore, whose keys never collide with
// these), so a store lives in one Redis Cluster slot:
//
//	{taskq}:apikey:<id>     one key: a hash with fields n (name), r (role),
//	                        h (SHA-256 of the secret), c (created), and e
//	                        (expires), v (revoked), u (last used) when set;
//	                        times are Unix microseconds in decimal
//	{taskq}:apikeys         every id, a sorted set scored by creation time
//	{taskq}:apikey_hashes   hash: SHA-256 -> id
//
// Creation, revocation and a use are each one Lua script, so a key is
// stored with its index entries or not at all, a second revocation keeps
// the first time, and concurrent uses never move the last use backwards.
// Keys are never deleted (revoked keys stay listed, as on PostgreSQL).
//
// Durability is Redis' (see storage/redisstore): with `appendonly yes`
// keys survive a restart of Redis; Redis must never evict them
// (`maxmemory-policy noeviction`).
//
// # Errors
//
// Connection failures and Redis replies meaning "not now" (LOADING, BUSY,
// TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY, OOM, …) are returned as
// errors matching taskq.ErrUnavailable; the driver's error is only the
// wrapped cause.
package rediskeys
