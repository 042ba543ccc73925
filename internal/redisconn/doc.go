// Package redisconn holds what the Redis backends (queue/redisqueue,
// storage/redisstore, auth/rediskeys) share: opening a rueidis client from
// a URL with the engine's settings, and mapping rueidis errors to taskq
// errors. Each backend passes its package name, which prefixes messages.
package redisconn
