// Package merge merges concurrent calls to a backend into batches: while
// one batch is in flight, the calls that arrive wait and go out together
// in the next, so that under load many callers share one round trip and
// one script run. A lone call goes out at once. redisqueue merges
// enqueues with it, redisstore record updates.
package merge
