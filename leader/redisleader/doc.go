// Package redisleader is the Redis implementation of leader.Store, on
// github.com/redis/rueidis.
//
// A lease on name is two keys sharing the hash tag {prefix:leader:name},
// so they live in one slot of a Redis Cluster:
//
//	{prefix:leader:name}:lease  "token:holder", with a PX expiry (the TTL)
//	{prefix:leader:name}:token  the fencing token counter (INCR), kept forever
//
// Acquire, Renew and Release are Lua scripts, each atomic: Acquire sets the
// lease only if it does not exist (the SET NX PX test) and takes the next
// token with INCR in the same step; Renew extends the expiry (PEXPIRE) only
// if the value is still this holder's token and holder; Release deletes the
// lease only on the same condition. Expiry is measured by the Redis
// server's clock. Persistence matters for the token: a Redis restarted
// without its data (no AOF or RDB) starts the counter again, so run it with
// appendonly if fencing tokens must survive restarts.
package redisleader
