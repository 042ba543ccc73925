// Package redisqueue implements taskq.Queue on Redis (standalone, Sentinel
// or Cluster) with github.com/redis/rueidis.
//
//	q, err := redisqueue.NewFromURL("redis://127.0.0.1:6379", redisqueue.Config{})
//
// On Redis alone, open the queue with storage/redisstore's Store.Queue
// instead: on a single Redis server the store then writes each created
// task's entry, exactly as Enqueue would, in the script that stores the
// task's record (one round trip, and never one without the other).
//
// # Key layout
//
// Every key of one queue carries the hash tag {prefix:queue} (prefix is
// Config.KeyPrefix, default "taskq"), so a queue lives in one cluster slot
// and works unchanged on Redis Cluster, while different queues spread over
// the cluster:
//
//	{taskq:q}:rounds:low … :rounds:critical  zset per priority of the ready ids,
//	                                       score = round (see "Fair sharing")
//	{taskq:q}:fair:low … :fair:critical    hash per priority: 'n:'owner -> its ready
//	                                       entries, 'r:'owner -> its latest round
//	{taskq:q}:scheduled                    zset, score = run-at (Unix ms)
//	{taskq:q}:leased                       zset, score = lease deadline (Unix ms)
//	{taskq:q}:entries                      hash id -> priority; present while the id is queued
//	{taskq:q}:owners                       hash id -> owner, for queued entries with an owner
//	{taskq:q}:types                        hash id -> type, for queued entries with a type
//	{taskq:q}:tokens, :tokenseq            lease tokens (fencing)
//	{taskq:q}:busy, :rate                  leased entries per type, start-rate buckets (Limits)
//	{taskq:q}:notify                       pub/sub channel (sharded on Redis 7) waking Wait
//	taskq:queues                           set of queue names (its own slot; one SADD per
//	                                       queue name and process, outside the scripts,
//	                                       or in redisstore's create scripts when it dispatches)
//	taskq:storage                          id of the storage the prefix is bound to (its own
//	                                       slot; see "One deployment per key prefix")
//
// Redis 6.2 or later is needed (ZMSCORE); on Redis 7
// notifications use sharded pub/sub (SPUBLISH/SSUBSCRIBE), before that
// classic PUBLISH/SUBSCRIBE, chosen automatically.
//
// # Fair sharing
//
// Inside a priority, ready entries are shared between owners
// (taskq.QueueEntry.Owner; entries without one share the empty owner) in
// rounds: an entry that becomes ready (enqueued, promoted from scheduled,
// requeued) gets the current round, the lowest score of its priority's
// zset (0 when the zset is empty), if its owner has no other ready entry
// there, else the round after its owner's latest. Leases pop the zset in
// score order (ZPOPMIN), so a burst of one owner takes one round per entry
// and another owner's entry waits for at most one entry of each owner
// with ready entries; inside a round the zset orders by id. A queue
// without owners keeps its FIFO order: each entry of the empty owner has
// a round of its own. Rounds are integers: they grow by at most one per
// entry made ready and start again from 0 whenever the zset empties, so
// they stay far below 2^53 and are exact as scores.
//
// The fair hash of a priority holds two fields for each owner with ready
// entries at that priority, and nothing else: the fields of an owner go
// when its last ready entry leaves (leased, removed), and a lease or a
// removal that empties the zset deletes the whole hash, which also clears whatever a
// hand-edited key left there. So it is bounded by the owners with ready
// entries, however many owners come and go. The owners hash, like the
// types hash, has one field per queued entry with an owner, deleted with
// the entry (ack, remove). A Requeue of a held lease keeps the owner
// recorded at enqueue (the given one when none was, as for an entry queued
// by an earlier version).
//
// # Upgrading from ready lists
//
// Earlier versions kept the ready ids in lists named
// {prefix:queue}:ready:<priority>. The sorted sets have other names, so a
// list left behind never meets a sorted-set command (no WRONGTYPE); it is
// simply no longer read. Its ids are still in the entries hash, so they
// are not leased until placed again: the enqueue script places an id that
// is in the entries hash but neither ready, scheduled nor leased again
// (with its stored priority) instead of skipping it as a duplicate, and
// Requeue without a token does the same. The worker's reconciler enqueues
// the records that should be queued (pending, failed, running) again every
// ReconcileInterval, so it puts those ids back within ReconcileInterval
// after ReconcileAfter; tasks scheduled for later are unaffected (the
// scheduled zset is unchanged). Enqueue counts such an id as added, so
// taskq.EnqueueCounter callers (the reconciler) report it as recovered.
// Processes of the earlier version still running keep pushing to the old
// lists, so stop them before starting new ones where the delay matters;
// the old lists can be deleted (DEL) once none runs. The same repair
// covers a ready set lost any other way (a key deleted or evicted).
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
// the scripts work on whole batches (one HMGET, ZMSCORE or ZADD for
// many ids):
//
//	enqueue  HSETNX entries (one entry) or HMGET + HSET (a batch), idempotent
//	         by id; then ZADD to the ready zset of its priority with its round
//	         (one HMGET and one HSET of the owners' rounds, a ZRANGE for the
//	         current round when an owner has nothing ready), or ZADD to
//	         scheduled; publishes when a ready zset was empty or an entry is
//	         the new earliest scheduled one. Ids already present (a batch with
//	         some, or a single one) cost one HMGET and up to six ZMSCOREs more,
//	         to find ids placed nowhere (see "Upgrading from ready lists")
//	lease    moves due scheduled entries to their ready zsets (earliest run-at
//	         first, at most Config.PromoteBatch per call), then ZPOPMIN up to
//	         Max ids, CRITICAL first (or drawn by LeaseParams.Weights), one
//	         HMGET of their owners and an HINCRBY for each of up to two
//	         owners, else one HMGET, HSET and HDEL of the owners' counts (one
//	         DEL when the zset is emptied), and one ZADD to leased with now+TTL
//	extend   ZMSCORE leased, one ZADD now+ttl for the ids still leased;
//	         returns the others (lost)
//	ack      ZREM leased + HDEL entries (and owners, types, tokens) for the
//	         ids that are leased
//	requeue  ZREM leased, then back to ready (now, with a new round) or
//	         scheduled (later) with its stored priority and owner; an absent
//	         id is enqueued
//	remove   HMGET entries, then ZMSCORE + ZREM on its ready zset (with the
//	         owner-round counts), ZREM scheduled and leased, HDEL entries;
//	         everything is O(log n) per id (the ready lists of earlier
//	         versions took O(length of the list) to remove a ready id)
//	reap     leases again ids whose deadline passed (ZRANGEBYSCORE leased)
//
// Batches larger than Config.ScriptBatch (default 1000) are split into
// several script calls that rueidis pipelines into one round trip.
//
// Stats is six ZCARDs (O(1)) in one round trip; Queues is one SMEMBERS.
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
// Inside the scripts, fair sharing costs a few commands: a single ready
// entry runs HSETNX, TIME, HMGET and HSET of its owner's rounds and ZADD
// (plus a ZRANGE when its owner has nothing ready, and an HSET each for a
// type and an owner) where a list took HSETNX, TIME and RPUSH; a lease
// adds an HMGET of the owners and two or three commands for their counts;
// an ack an HDEL. A sorted set also costs more memory per ready id than a
// list (about 100 bytes more; see docs/deployment.md).
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
