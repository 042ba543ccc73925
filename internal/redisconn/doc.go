// Package redisconn holds what the Redis backends (queue/redisqueue,
// storage/redisstore, auth/rediskeys) share: opening a rueidis client from
// a URL with the engine's settings, mapping rueidis errors to taskq
// errors, and the Script of their Lua scripts (EVALSHA built by hand for
// pipelines and transactions). Each backend passes its package name, which
// prefixes messages.
package redisconn
