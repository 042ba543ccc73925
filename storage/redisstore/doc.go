// Package redisstore implements taskq.StorageAdapter and
// taskq.StorageIdentity on Redis (standalone, Sentinel or Cluster) with
// github.com/redis/rueidis, so that a deployment can run on Redis alone,
// with queue/redisqueue as its queue.
//
//	s, err := redisstore.NewFromURL("redis://127.0.0.1:6379", redisstore.Config{})
//
// NewFromURL accepts the URL forms of redisqueue.NewFromURL; an empty URL is
// an error naming the setting to fill in (TASKQ_REDIS_URL for
// taskq-server).
//
// # Guarantees and what they need
//
// Every state change is one Lua script, so it is atomic: a record is
// created together with its index entries and idempotency key (CreateTasks:
// all of a batch or nothing), UpdateTask checks the expected status and
// writes in one step (a late worker cannot move a task backwards), and
// MoveTaskToDeadLetter evicts entries beyond the size cap (the oldest of
// the owner holding the most) in the same step, and the per-owner usage
// counters (taskq.OwnerUsage) change in the script that changes a record.
// Counters start with the version that introduced them: a store written
// by an earlier version counts only the records created since. Nothing is ever read and written back across round trips.
//
// Concurrent UpdateTask and UpdateAttempt calls (a worker finishing many
// tasks at once) share one script run: while one run is in flight, the
// calls that arrive wait and go out together in the next, each with its
// own precondition and its own result, applied in arrival order. A lone
// call goes out at once. Each update is still atomic; the batch only saves
// the single Redis thread a script call per task, and applies the batch's
// index and counter changes once per key. A caller whose context ends
// stops waiting, but its update may still be applied, as after a lost
// reply. MoveTaskToDeadLetter, which may evict, runs alone. Concurrent
// CreateTask calls of tasks without a unique key are merged the same way,
// each with its own duplicate check and reply (a task created earlier in
// the same run counts as existing).
//
// # Dispatch: the record and its queue entry in one script
//
// On a single Redis server (standalone or Sentinel), Store.Queue returns
// the queue/redisqueue Queue of the store's client and prefix, and from
// then on the store writes the queue entry of every pending task it
// creates in the script that stores the record, as the queue's Enqueue
// would write it (taskq.Dispatcher: taskq.NewClient then does not push
// it again):
//
//	s, err := redisstore.NewFromURL(url, redisstore.Config{})
//	q, err := s.Queue(redisqueue.Config{})
//	c, err := taskq.NewClient(s, q, taskq.ClientConfig{})
//
// A record and its entry are then written together or not at all (no
// pending record waits for the worker's reconciler after a crash between
// the two), and an enqueue is one round trip instead of two. The script
// that stores a terminal status (completed, cancelled, dead letter) or
// deletes a record removes the task's entry too, wherever it is (a
// holder's next heartbeat finds its lease gone), so a finished task never
// keeps an entry and the worker does not acknowledge a completed task's
// lease (redisqueue's Queue.RemovesEntryOnFinish). On Redis
// Cluster the records and each queue hash to different slots, so the
// store does not dispatch there: the Client pushes each entry after its
// record, as with a queue opened on its own.
//
// StartTasks runs its script and an HGETALL of each record in one
// MULTI/EXEC: the records come back as Redis wrote them, without the cost
// of passing them through Lua, and nothing runs in between.
//
// Durability is Redis'. A write is acknowledged once Redis applied it in
// memory; it survives a restart only with the append-only file:
// `appendonly yes` with `appendfsync always` loses nothing acknowledged,
// `appendfsync everysec` (Redis' default with AOF) up to about a second of
// writes after a crash of the machine or the server. RDB snapshots alone
// lose everything since the last snapshot. Replicas are asynchronous: a
// failover may lose the latest writes (WAIT is not used).
//
// Redis must never evict the store's keys: configure
// `maxmemory-policy noeviction` (a volatile-* policy also leaves them, as
// they have no TTL). An evicted record or index entry loses a task or
// corrupts listings. With noeviction a full Redis refuses writes with OOM,
// which the store returns as taskq.ErrUnavailable.
//
// Times are stored in UTC with microsecond precision (as PostgreSQL
// stores them); metadata comes back as taskq.DecodeMetadata gives it
// (numbers as json.Number); results and errors are kept as their JSON.
//
// # Key layout
//
// Every key carries the hash tag {prefix} (Config.KeyPrefix, default
// "taskq"):
//
//	{taskq}:t:<id>      task record: a hash with short field names, absent
//	                    fields meaning zero values (see record.go)
//	{taskq}:all         every task id
//	{taskq}:s:<status>  ids per status
//	{taskq}:y:<type>    ids per type
//	{taskq}:q:<queue>   ids per queue
//	{taskq}:o:<owner>   ids per owner (tasks with an owner only)
//	{taskq}:idem        hash len(owner):owner<key> -> id, for idempotency keys
//	{taskq}:uniq        hash unique key -> id of the last task created with it
//	{taskq}:dlq         DLQ entries: 16 hex digits of the entry time (Unix
//	                    microseconds, sign bit flipped) followed by the id
//	{taskq}:storage_id  the store's identity, a UUID set once with SET NX
//	{taskq}:paused      set of paused queue names (taskq.QueuePauser)
//	{taskq}:counts      record counts by queue, type and status
//	                    (taskq.StatusCounter)
//	{taskq}:pq:<queue>  pending ids of a queue scored by run-at, for the
//	                    oldest due pending task
//	{taskq}:fin         completed and cancelled tasks: 16 hex digits of the
//	                    completion time followed by the id, for the
//	                    retention of finished tasks (taskq.FinishedDeleter)
//
// Indexes are sorted sets whose members all have score 0, so Redis orders
// them by their bytes: ids ascending (UUIDv7 ids are time-ordered), DLQ
// entries by (entry time, id). Listings walk them with ZREVRANGEBYLEX and
// ZRANGEBYLEX. The keys of redisqueue ({taskq:<queue>}:…, taskq:queues,
// taskq:storage) never collide with these, so one prefix can serve both.
//
// # One store, one cluster slot
//
// All keys of a store share one hash tag, so on Redis Cluster the whole
// store lives in one slot, on one master (and its replicas). That is what
// makes the scripts legal there: a script may only touch keys of one slot,
// and every step of the store touches several keys (a record, its indexes,
// the idempotency hash, the DLQ), which Redis Cluster cannot update
// atomically across slots. Scripts build the names of index keys from the
// tag (a delete learns the task's type from the record), which Redis
// allows for keys of the script's own slot. So a cluster adds availability
// and room for other data, not capacity for one store: its records must fit
// in one master's memory and its writes in one master's CPU. Two
// deployments with two prefixes land in two slots.
//
// # Listing
//
// ListTasks returns tasks newest first with keyset pagination on the id,
// like the other storages: the cursor is the id where the page stopped, so
// a continued listing never repeats or skips a task that existed when it
// began. The script picks the smallest index the filter allows (all ids,
// the union of the status indexes named, the type, queue or owner index;
// sizes by ZCARD), walks it down from the cursor and checks the other
// attributes (priority, updated-before, …) with one HMGET per id. One
// script call examines at most Config.ScanBatch ids (default 1000), so no
// call blocks Redis for long; ListTasks repeats calls until the page is
// full or Config.ScanLimit ids (default 10000) were examined, and then
// returns a short page, possibly empty, with a cursor continuing where the
// scan stopped. A page may be short, never wrong. GetDeadLetterTasks walks
// the DLQ oldest entry first the same way, its type filter checked per
// entry.
//
// # Limits
//
//   - A store is bounded by one Redis master's memory (see above). Measured
//     with redis-server 7.0.15: about 1,760 bytes of used_memory per
//     pending task with a 100-byte JSON metadata object (a value above
//     hash-max-listpack-value, 64 bytes, turns the record hash into a
//     hashtable: MEMORY USAGE of one record about 900 bytes), about 1,070
//     bytes with 40-byte metadata (a compact listpack record of about 280
//     bytes); the other ~790 bytes are the four index entries (all,
//     status, type, queue: a sorted-set entry of a 36-byte id each), the
//     entry of a pending task in its queue's pending set (scored by run-at,
//     for the oldest pending task of taskq.StatusCounter: about 160 bytes,
//     given back when the task starts) and the key space entry. Command: `go test -count=1 -v -run TestMemoryPerTask
//     ./storage/redisstore/` (it stores 10,000 tasks on a fresh
//     redis-server and compares INFO memory used_memory before and after).
//   - A listing whose filter matches few tasks of its most selective index
//     costs one HMGET per examined id and may return short pages.
//   - CreateTasks sends a batch as one script call: its size is bounded by
//     Redis' proto-max-bulk-len and the time one script may run.
//   - CleanupDeadLetterTasks and DeleteFinished purge in script calls of
//     500 records, each atomic, not the whole cleanup at once.
//   - The index of finished tasks ({taskq}:fin) starts with the version
//     that introduced it: tasks that finished under an earlier version are
//     not in it, and DeleteFinished never deletes them (DeleteTask does).
//   - Redis 6.2 or later (ZRANGEBYLEX, HSET with several fields, Lua).
//
// # Errors
//
// Connection failures and Redis replies meaning "not now" (LOADING, BUSY,
// TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY, OOM, …) are returned as
// errors matching taskq.ErrUnavailable (retryable); the driver's error is
// only the wrapped cause. Scripts are not retried by the client: a write
// whose reply was lost may have been applied, and the caller's retry then
// meets a duplicate or a failed precondition, as on PostgreSQL.
package redisstore
