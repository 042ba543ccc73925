// Package redisentry holds what queue/redisqueue and storage/redisstore
// share about a Redis queue entry: the names of a queue's keys and the Lua
// that places a new entry. redisqueue places entries with it when it is
// asked to enqueue; redisstore, when it dispatches (redisstore's
// Store.Queue), places the entry of each pending task it creates in the
// script that stores the record, so that the two are written together.
package redisentry
