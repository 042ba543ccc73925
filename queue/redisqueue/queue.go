package redisqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/background"
	"github.com/taskq/taskq/internal/flow"
	"github.com/taskq/taskq/internal/names"
	"github.com/taskq/taskq/internal/redisconn"
	"github.com/taskq/taskq/internal/redisentry"
)

// Queue is a taskq.Queue on Redis or Redis Cluster. It is safe for
// concurrent use.
type Queue struct {
	client   rueidis.Client
	own      bool // Close closes client
	cfg      Config
	log      *slog.Logger
	notifier *notifier

	registered sync.Map // queue name -> struct{}: SADD done by this Queue
	coalescers sync.Map // queue name -> *coalescer
	keyCache   sync.Map // queue name -> queueKeys (read-only once stored)
	keyCount   atomic.Int64
	boundTo    atomic.Pointer[string] // storage id accepted by BindStorage
	closed     atomic.Bool
	closeOnce  sync.Once

	// Background work (merged enqueue calls): Close cancels ctx, refuses
	// new work and waits for bg.
	ctx    context.Context
	cancel context.CancelFunc
	bg     background.Group
}

var (
	_ taskq.Queue          = (*Queue)(nil)
	_ taskq.EnqueueCounter = (*Queue)(nil)
)

// New returns a Queue on client. The client stays the caller's: Close does
// not close it. Client-side caching is not used, so the client may be built
// with DisableCache.
func New(client rueidis.Client, cfg Config) (*Queue, error) {
	if client == nil {
		return nil, errors.New("redisqueue: New needs a rueidis.Client (or use NewFromURL)")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	q := &Queue{client: client, cfg: cfg, log: cfg.Logger.With("component", "redisqueue")}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	q.notifier = newNotifier(client, q.log)
	return q, nil
}

// NewFromURL creates a rueidis client from url and returns a Queue that owns
// it (Close closes it). Accepted forms (rueidis.ParseURL):
//
//	redis://[user:password@]host:port[/db]        plain TCP
//	rediss://[user:password@]host:port[/db]       TLS
//	unix://[user:password@]/path/to/redis.sock[?db=N]
//	redis://host1:port1?addr=host2:port2&addr=host3:port3   Redis Cluster
//	    (any seed node works; a single address of a cluster node is detected too)
//	redis://sentinel-host:26379?master_set=mymaster[&addr=…] Sentinel
//
// Query parameters dial_timeout, write_timeout, client_name, protocol=2 and
// skip_verify (rediss) are honoured. Client-side caching is turned off, and
// rueidis' own retries of read-only commands are bounded (three attempts),
// so an outage surfaces as taskq.ErrUnavailable instead of blocking.
//
// An empty url, or options left without an address, is an error naming the
// missing setting (TASKQ_REDIS_URL for taskq-server).
func NewFromURL(url string, cfg Config) (*Queue, error) {
	client, err := redisconn.Open("redisqueue", url, cfg.ClientOption)
	if err != nil {
		return nil, err
	}
	q, err := New(client, cfg)
	if err != nil {
		client.Close()
		return nil, err
	}
	q.own = true
	return q, nil
}

// Client returns the underlying rueidis client.
func (q *Queue) Client() rueidis.Client { return q.client }

// clientNow is Config.Now, or this process' clock.
func (q *Queue) clientNow() time.Time {
	if q.cfg.Now == nil {
		return time.Now()
	}
	return q.cfg.Now()
}

// nowArg is ARGV[1] of the scripts: Config.Now in milliseconds when set,
// else "0", which makes the script read the Redis server's clock.
func (q *Queue) nowArg() string {
	if q.cfg.Now == nil {
		return "0"
	}
	return ms(q.cfg.Now())
}

func (q *Queue) keys(queue string) (queueKeys, error) {
	if q.closed.Load() {
		return queueKeys{}, errClosed
	}
	if !names.Valid(queue, taskq.MaxQueueNameLength) {
		return queueKeys{}, invalid("queue name %q must be 1-%d letters, digits and ._:-/", queue, taskq.MaxQueueNameLength)
	}
	if k, ok := q.keyCache.Load(queue); ok {
		return k.(queueKeys), nil
	}
	k := newQueueKeys(q.cfg.KeyPrefix, queue)
	if q.keyCount.Add(1) <= maxCachedQueues {
		q.keyCache.Store(queue, k)
	}
	return k, nil
}

// maxCachedQueues bounds the cache of key names per queue name.
const maxCachedQueues = 10000

// register adds queue to the set of queue names, once per Queue value.
func (q *Queue) register(ctx context.Context, queue string) error {
	if _, ok := q.registered.Load(queue); ok {
		return nil
	}
	err := q.client.Do(ctx, q.client.B().Sadd().Key(queuesKey(q.cfg.KeyPrefix)).Member(queue).Build()).Error()
	if err != nil {
		return mapErr(ctx, "register queue", err)
	}
	q.registered.Store(queue, struct{}{})
	return nil
}

// execBatches runs script once per batch of args (each prefixed with the
// common head). Several batches are pipelined in order in one DoMulti (one
// round trip); a batch refused with NOSCRIPT (a flushed or restarted server)
// is run again with Exec, which loads the script.
func (q *Queue) execBatches(ctx context.Context, s *redisconn.Script, keys []string, head []string, args []string, per int) ([]rueidis.RedisResult, error) {
	size := q.cfg.ScriptBatch * per
	if len(args) <= size {
		r := s.Exec(ctx, q.client, keys, append(head, args...))
		return []rueidis.RedisResult{r}, r.Error()
	}
	var batches [][]string
	for i := 0; i < len(args); i += size {
		batches = append(batches, append(slices.Clone(head), args[i:min(len(args), i+size)]...))
	}
	cmds := make(rueidis.Commands, len(batches))
	for i, a := range batches {
		cmds[i] = s.Cmd(q.client.B(), false, keys, a)
	}
	out := q.client.DoMulti(ctx, cmds...)
	for i, r := range out {
		if re, ok := rueidis.IsRedisErr(r.Error()); ok && re.IsNoScript() {
			out[i] = s.Exec(ctx, q.client, keys, batches[i])
		}
		if err := out[i].Error(); err != nil {
			return out, err
		}
	}
	return out, nil
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func ttlMillis(d time.Duration) string {
	return strconv.FormatInt(max(1, d.Milliseconds()), 10)
}

// Enqueue adds entries to queue in one script call per Config.ScriptBatch
// entries: ready now, or scheduled when RunAt is after now. Ids already
// present (ready, scheduled or leased) are left untouched.
func (q *Queue) Enqueue(ctx context.Context, queue string, entries ...taskq.QueueEntry) error {
	k, args, err := q.enqueueArgs(ctx, queue, entries)
	if err != nil || len(args) == 0 {
		return err
	}
	if len(entries) >= q.cfg.ScriptBatch {
		if _, err := q.execBatches(ctx, luaEnqueue, k.keys, []string{q.nowArg()}, args, enqueueArity); err != nil {
			return mapErr(ctx, "enqueue", err)
		}
		return nil
	}
	return q.enqueueCoalesced(ctx, queue, k.keys, args)
}

// EnqueueNew implements taskq.EnqueueCounter: Enqueue (not coalesced with
// other calls) that reports how many ids were added.
func (q *Queue) EnqueueNew(ctx context.Context, queue string, entries ...taskq.QueueEntry) (int, error) {
	k, args, err := q.enqueueArgs(ctx, queue, entries)
	if err != nil || len(args) == 0 {
		return 0, err
	}
	out, err := q.execBatches(ctx, luaEnqueue, k.keys, []string{q.nowArg()}, args, enqueueArity)
	if err != nil {
		return 0, mapErr(ctx, "enqueue", err)
	}
	added := 0
	for _, r := range out {
		n, err := r.AsInt64()
		if err != nil {
			return added, mapErr(ctx, "enqueue", err)
		}
		added += int(n)
	}
	return added, nil
}

// enqueueArity is the number of script arguments per entry: id, priority,
// run-at, type, owner.
const enqueueArity = 5

// enqueueArgs validates entries and returns the queue's keys and the
// script arguments (enqueueArity per entry), registering the queue name on
// first use.
func (q *Queue) enqueueArgs(ctx context.Context, queue string, entries []taskq.QueueEntry) (queueKeys, []string, error) {
	k, err := q.keys(queue)
	if err != nil {
		return k, nil, err
	}
	if len(entries) == 0 {
		return k, nil, nil
	}
	args := make([]string, 0, enqueueArity*len(entries))
	for _, e := range entries {
		if e.ID == "" {
			return k, nil, invalid("entry without id")
		}
		if !e.Priority.Valid() {
			return k, nil, invalid("priority %d of %q must be between 0 and 3", e.Priority, e.ID)
		}
		args = append(args, e.ID, strconv.Itoa(int(e.Priority)), redisentry.RunAtArg(e.RunAt), e.Type, e.Owner)
	}
	if err := q.register(ctx, queue); err != nil {
		return k, nil, err
	}
	return k, args, nil
}

// Lease promotes due scheduled entries (at most Config.PromoteBatch), then
// leases up to p.Max ready entries until now+p.TTL, all in one script call.
// Without p.Weights the order is strict: CRITICAL first, inside a priority
// by round (shared between owners, see "Fair sharing" in the package doc;
// FIFO for entries of one owner). With p.Weights each of the p.Max slots is drawn among the
// non-empty priorities in proportion to their weights (a priority of
// weight 0 is taken only when no weighted one is ready).
func (q *Queue) Lease(ctx context.Context, p taskq.LeaseParams) ([]taskq.Lease, error) {
	k, err := q.keys(p.Queue)
	if err != nil {
		return nil, err
	}
	if p.Max < 1 {
		return nil, invalid("lease max must be at least 1, got %d", p.Max)
	}
	if p.TTL <= 0 {
		return nil, invalid("lease ttl must be positive, got %s", p.TTL)
	}
	now := q.nowArg()
	if !p.Now.IsZero() {
		now = ms(p.Now)
	}
	ttl := max(1, p.TTL.Milliseconds())
	if flow.Active(p.Limits, p.Queue) {
		return q.leaseLimited(ctx, k, p, now, ttl)
	}
	args := []string{now, strconv.Itoa(p.Max), strconv.FormatInt(ttl, 10),
		strconv.Itoa(q.cfg.PromoteBatch), strconv.FormatInt(1+rand.Int64N(2147483646), 10)}
	if p.Weights != nil {
		for i := range taskq.NumPriorities {
			w := 0
			if i < len(p.Weights) {
				w = max(0, p.Weights[i])
			}
			args = append(args, strconv.Itoa(w))
		}
	}
	res := luaLease.Exec(ctx, q.client, k.keys, args)
	leases, err := parseLeases(res, ttl)
	if err != nil {
		return nil, mapErr(ctx, "lease", err)
	}
	return leases, nil
}

// parseLeases reads id, priority, token triples followed by the time the
// script used (ms); the deadline of each lease is that time plus ttl (ms).
func parseLeases(res rueidis.RedisResult, ttl int64) ([]taskq.Lease, error) {
	arr, err := res.ToArray()
	if err != nil {
		return nil, err
	}
	if len(arr)%3 != 1 {
		return nil, fmt.Errorf("redisqueue: malformed lease reply of %d elements", len(arr))
	}
	nowMs, err := arr[len(arr)-1].AsInt64()
	if err != nil {
		return nil, err
	}
	deadline := time.UnixMilli(nowMs + ttl)
	arr = arr[:len(arr)-1]
	leases := make([]taskq.Lease, 0, len(arr)/3)
	for i := 0; i+2 < len(arr); i += 3 {
		id, err := arr[i].ToString()
		if err != nil {
			return nil, err
		}
		p, err := arr[i+1].AsInt64()
		if err != nil {
			return nil, err
		}
		tok, err := arr[i+2].AsInt64()
		if err != nil {
			return nil, err
		}
		leases = append(leases, taskq.Lease{ID: id, Priority: taskq.TaskPriority(p), Deadline: deadline, Token: tok})
	}
	return leases, nil
}

// Extend moves the deadline of the given leases to now+ttl in one script
// call per Config.ScriptBatch leases, and returns the leases that are no
// longer held under their token (acknowledged, removed by a cancellation,
// or requeued or leased again after a reap).
func (q *Queue) Extend(ctx context.Context, queue string, leases []taskq.Lease, ttl time.Duration) ([]taskq.Lease, error) {
	k, err := q.keys(queue)
	if err != nil {
		return nil, err
	}
	if len(leases) == 0 {
		return nil, nil
	}
	if ttl <= 0 {
		return nil, invalid("lease ttl must be positive, got %s", ttl)
	}
	out, err := q.execBatches(ctx, luaExtend, k.keys, []string{q.nowArg(), ttlMillis(ttl)}, leaseArgs(leases), 2)
	if err != nil {
		return nil, mapErr(ctx, "extend", err)
	}
	var lost []taskq.Lease
	for _, r := range out {
		arr, err := r.AsStrSlice()
		if err != nil {
			return nil, mapErr(ctx, "extend", err)
		}
		for i := 0; i+1 < len(arr); i += 2 {
			tok, err := strconv.ParseInt(arr[i+1], 10, 64)
			if err != nil {
				return nil, mapErr(ctx, "extend", err)
			}
			lost = append(lost, taskq.Lease{ID: arr[i], Token: tok})
		}
	}
	// Report the caller's leases (priority, deadline) rather than bare ids.
	if len(lost) > 0 {
		type key struct {
			id  string
			tok int64
		}
		byKey := make(map[key]bool, len(lost))
		for _, l := range lost {
			byKey[key{l.ID, l.Token}] = true
		}
		lost = lost[:0]
		for _, l := range leases {
			if byKey[key{l.ID, l.Token}] {
				lost = append(lost, l)
			}
		}
	}
	return lost, nil
}

// leaseArgs flattens leases into id, token pairs.
func leaseArgs(leases []taskq.Lease) []string {
	args := make([]string, 0, 2*len(leases))
	for _, l := range leases {
		args = append(args, l.ID, strconv.FormatInt(l.Token, 10))
	}
	return args
}

// Ack removes the given leases for good, in one script call per
// Config.ScriptBatch leases. Ids that are not leased under the given token
// are left alone.
func (q *Queue) Ack(ctx context.Context, queue string, leases ...taskq.Lease) error {
	k, err := q.keys(queue)
	if err != nil {
		return err
	}
	if len(leases) == 0 {
		return nil
	}
	if _, err := q.execBatches(ctx, luaAck, k.keys, []string{q.nowArg()}, leaseArgs(leases), 2); err != nil {
		return mapErr(ctx, "ack", err)
	}
	return nil
}

// RemovesEntryOnFinish reports whether storing a task's terminal status in
// s also removes the task's entry from this queue: s dispatches into it
// (taskq.Dispatcher; storage/redisstore's Store.Queue). The worker then
// does not acknowledge a completed task's lease.
func (q *Queue) RemovesEntryOnFinish(s taskq.StorageAdapter) bool {
	d, ok := s.(taskq.Dispatcher)
	return ok && d.Dispatches(q)
}

// Remove deletes ids wherever they are (ready, scheduled or leased), in one
// script call per Config.ScriptBatch ids. A leased id removed this way is
// reported lost by the holder's next Extend.
func (q *Queue) Remove(ctx context.Context, queue string, ids ...string) error {
	return q.idsOp(ctx, "remove", luaRemove, queue, ids)
}

func (q *Queue) idsOp(ctx context.Context, op string, script *redisconn.Script, queue string, ids []string) error {
	k, err := q.keys(queue)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := q.execBatches(ctx, script, k.keys, []string{q.nowArg()}, ids, 1); err != nil {
		return mapErr(ctx, op, err)
	}
	return nil
}

// Requeue moves a leased id back in one script call: ready at once when
// e.RunAt is not after now, scheduled otherwise, keeping its stored
// priority. An absent id is enqueued with e.Priority; an id already ready
// or scheduled is left alone.
func (q *Queue) Requeue(ctx context.Context, queue string, e taskq.QueueEntry) error {
	k, err := q.keys(queue)
	if err != nil {
		return err
	}
	if e.ID == "" {
		return invalid("entry without id")
	}
	if !e.Priority.Valid() {
		return invalid("priority %d of %q must be between 0 and 3", e.Priority, e.ID)
	}
	if err := q.register(ctx, queue); err != nil {
		return err
	}
	args := []string{q.nowArg(), e.ID, strconv.Itoa(int(e.Priority)), redisentry.RunAtArg(e.RunAt), strconv.FormatInt(e.Token, 10), e.Type, e.Owner}
	if err := luaRequeue.Exec(ctx, q.client, k.keys, args).Error(); err != nil {
		return mapErr(ctx, "requeue", err)
	}
	return nil
}

// Reap leases again, until now+ttl, up to max ids whose lease deadline has
// passed (earliest first), in one script call.
func (q *Queue) Reap(ctx context.Context, queue string, max int, ttl time.Duration) ([]taskq.Lease, error) {
	k, err := q.keys(queue)
	if err != nil {
		return nil, err
	}
	if max < 1 {
		return nil, nil
	}
	if ttl <= 0 {
		return nil, invalid("lease ttl must be positive, got %s", ttl)
	}
	t := ttl.Milliseconds()
	if t < 1 {
		t = 1
	}
	args := []string{q.nowArg(), strconv.Itoa(max), strconv.FormatInt(t, 10)}
	leases, err := parseLeases(luaReap.Exec(ctx, q.client, k.keys, args), t)
	if err != nil {
		return nil, mapErr(ctx, "reap", err)
	}
	return leases, nil
}

// Stats counts the entries of queue with six O(1) commands (ZCARD)
// in one round trip.
func (q *Queue) Stats(ctx context.Context, queue string) (taskq.QueueStats, error) {
	var s taskq.QueueStats
	k, err := q.keys(queue)
	if err != nil {
		return s, err
	}
	cmds := make(rueidis.Commands, 0, taskq.NumPriorities+2)
	for p := range taskq.NumPriorities {
		cmds = append(cmds, q.client.B().Zcard().Key(k.ready(taskq.TaskPriority(p))).Build())
	}
	cmds = append(cmds, q.client.B().Zcard().Key(k.scheduled()).Build(), q.client.B().Zcard().Key(k.leased()).Build())
	res := q.client.DoMulti(ctx, cmds...)
	n := make([]int64, len(res))
	for i, r := range res {
		if n[i], err = r.AsInt64(); err != nil {
			return taskq.QueueStats{}, mapErr(ctx, "stats", err)
		}
	}
	copy(s.Ready[:], n[:taskq.NumPriorities])
	s.Scheduled, s.Leased = n[taskq.NumPriorities], n[taskq.NumPriorities+1]
	return s, nil
}

// Queues lists the names of queues that have ever held entries, sorted.
func (q *Queue) Queues(ctx context.Context) ([]string, error) {
	if q.closed.Load() {
		return nil, errClosed
	}
	names, err := q.client.Do(ctx, q.client.B().Smembers().Key(queuesKey(q.cfg.KeyPrefix)).Build()).AsStrSlice()
	if err != nil {
		return nil, mapErr(ctx, "queues", err)
	}
	slices.Sort(names)
	return names, nil
}

// Ping checks that Redis answers.
func (q *Queue) Ping(ctx context.Context) error {
	if q.closed.Load() {
		return errClosed
	}
	return mapErr(ctx, "ping", q.client.Do(ctx, q.client.B().Ping().Build()).Error())
}

// Close stops the Queue: every later call returns an error saying it is
// closed; Enqueue calls still in flight end with that error too (their
// entries may or may not have been queued, as after a lost reply). Close
// returns once the goroutines of the Queue (merged enqueue calls, the
// pub/sub subscriptions of Wait) have ended and, when the Queue was made by
// NewFromURL, the client is closed. It is idempotent.
func (q *Queue) Close() error {
	q.closeOnce.Do(func() {
		q.closed.Store(true)
		q.bg.Stop()
		q.cancel()
		q.bg.Wait()
		q.notifier.close()
		if q.own {
			q.client.Close()
		}
	})
	return nil
}
