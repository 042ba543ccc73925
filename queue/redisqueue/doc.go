// Package redisqueue implements taskq.Queue on Redis (standalone, Sentinel
// or Cluster) with github.com/redis/rueidis.
//
//	q, err := redisqueue.NewFromURL("redis://127.0.0.1:6379", redisqueue.Config{})
//
// # Key layout
//
// Every key of one queue carries the hash tag {prefix:queue} (prefix is
// Config.KeyPrefix, default "taskq"), so a queue lives in one cluster slot
// and works unchanged on Redis Cluster, while different queues spread over
// the cluster:
//
//	{taskq:q}:ready:low … :ready:critical  list per priority (RPUSH, LPOP: FIFO)
//	{taskq:q}:scheduled                    zset, score = run-at (Unix ms)
//	{taskq:q}:leased                       zset, score = lease deadline (Unix ms)
//	{taskq:q}:entries                      hash id -> priority; present while the id is queued
//	{taskq:q}:notify                       pub/sub channel (sharded on Redis 7) waking Wait
//	taskq:queues                           set of queue names (its own slot; one SADD per
//	                                       queue name and process, outside the scripts)
//	taskq:storage                          id of the storage the prefix is bound to (its own
//	                                       slot; see "One deployment per key prefix")
//
// Redis 6.2 or later is needed (LPOP with a count, ZMSCORE); on Redis 7
// notifications use sharded pub/sub (SPUBLISH/SSUBSCRIBE), before that
// classic PUBLISH/SUBSCRIBE, chosen automatically.
//
// # One deployment per key prefix
//
// The queue holds only task ids; the records are in the storage (a
// PostgreSQL database, say). A key prefix therefore belongs to one
// deployment, that is one storage: two deployments sharing a prefix would
// lease each other's ids and find no record for them. Queue implements
// taskq.QueueBinding to catch this: the first taskq.Client or worker that
// uses a prefix records its storage's id (taskq.StorageIdentity) under
// prefix:storage, atomically; later users with the same storage pass, and
// one with another storage gets an error matching taskq.ErrStorageMismatch
// before it writes anything. Give each deployment its own Config.KeyPrefix
// (or its own Redis database). To move a prefix to a new storage on
// purpose, stop every process using it and delete the prefix:storage key.
//
// # Scripts
//
// Every state transition is one Lua script touching the keys of one queue,
// so it is atomic and never does a read-modify-write across round trips.
// Scripts are sent with EVALSHA and fall back to EVAL after NOSCRIPT (a
// restarted or new server), which rueidis does. No KEYS or SCAN is used.
// Inside a script each redis.call costs about as much as the command, so
// the scripts work on whole batches (one HMGET, ZMSCORE, RPUSH or ZADD for
// many ids):
//
//	enqueue  HSETNX entries (one entry) or HMGET + HSET (a batch), idempotent
//	         by id; then RPUSH to the ready list of its priority, or ZADD to
//	         scheduled; publishes when a ready list was empty or an entry is
//	         the new earliest scheduled one
//	lease    moves due scheduled entries to their ready lists (earliest run-at
//	         first, at most Config.PromoteBatch per call), then LPOP up to Max
//	         ids, CRITICAL first (or drawn by LeaseParams.Weights), and one
//	         ZADD to leased with now+TTL
//	extend   ZMSCORE leased, one ZADD now+ttl for the ids still leased;
//	         returns the others (lost)
//	ack      ZREM leased + HDEL entries for the ids that are leased
//	requeue  ZREM leased, then back to ready (now) or scheduled (later) with
//	         its stored priority; an absent id is enqueued
//	remove   HMGET entries, then LREM from its ready list, ZREM scheduled and
//	         leased, HDEL entries; removing a ready id is O(length of its
//	         ready list), everything else O(log n)
//	reap     leases again ids whose deadline passed (ZRANGEBYSCORE leased)
//
// Batches larger than Config.ScriptBatch (default 1000) are split into
// several script calls that rueidis pipelines into one round trip.
//
// Stats is four LLENs and two ZCARDs (O(1)) in one round trip; Queues is
// one SMEMBERS.
//
// # Cost of one task
//
// From enqueue to ack a task costs, in Redis commands and round trips:
//
//	enqueue  1 EVALSHA (1 round trip; a batch of up to ScriptBatch entries shares it)
//	lease    1 EVALSHA per batch of up to Max tasks
//	extend   1 EVALSHA per batch of leased tasks per heartbeat
//	ack      1 EVALSHA per batch of finished tasks
//
// Concurrent Enqueue calls on one queue are coalesced: while one script
// call is in flight, later calls wait and go out together in the next, so
// many producers share round trips and script calls too.
//
// So a task leased and acknowledged in batches of 32 costs about
// 1 + 2/32 script calls, plus one extend per heartbeat shared by the batch.
// The first enqueue to a queue name in a process adds one SADD. Wait costs
// one round trip (five read commands pipelined) per call and keeps one
// pub/sub subscription per queue and process.
//
// # Clock
//
// Every script reads the Redis server's clock (TIME): promotion of scheduled
// entries, lease deadlines, extension and reaping do not depend on the
// clocks of the processes sharing the queue, so a worker whose clock is
// off neither expires live leases nor starts scheduled tasks early. An
// entry to run at once carries no run-at (the taskq.Client sends none for
// immediate tasks), so a producer's clock cannot delay it. What still
// comes from a process' clock: the run-at of a task scheduled for later
// (WithRunAt, WithDelay, a retry's backoff), which moves by that process'
// skew, and the local wait for the earliest scheduled entry, bounded by
// the caller's maximum wait. LeaseParams.Now or Config.Now replace the
// server's clock (tests).
//
// # Cancellation across processes
//
// Remove deletes a leased id from the leased set, so the holder's next
// Extend reports it lost and the holder cancels its handler: cancellation
// reaches another process within one heartbeat.
//
// # Close
//
// Close ends every goroutine the Queue started (merged enqueue calls, the
// pub/sub subscriptions of Wait) before it returns; calls in flight and
// later calls return an error saying the queue is closed.
//
// # Errors
//
// Connection failures and Redis replies meaning "not now" (LOADING, BUSY,
// TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY, OOM, …) are returned as
// errors matching taskq.ErrUnavailable (retryable); the driver's error is
// only the wrapped cause. A cancelled caller context is returned as a
// wrapped context error. The scripts are not retried by the client: a lease
// whose reply was lost expires and is reaped.
package redisqueue
