package postgres

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/flow"
	"github.com/taskq/taskq/internal/names"
	"github.com/taskq/taskq/internal/pgschema"
)

// ErrQueueClosed is returned by every method of a Queue after Close. It
// matches taskq.ErrUnavailable with errors.Is.
var ErrQueueClosed = &taskq.Error{Code: taskq.CodeServiceUnavailable, Message: "postgres: queue closed"}

// DefaultCallTimeout bounds one Queue call when QueueConfig.CallTimeout is
// zero.
const DefaultCallTimeout = 30 * time.Second

// QueueConfig configures a Queue. The zero value works.
type QueueConfig struct {
	// Schema holds the queue's tables (NewQueue only; Store.Queue uses the
	// store's schema). Default DefaultSchema.
	Schema string
	// Logger receives warnings (a lost listener connection); nil discards
	// them.
	Logger *slog.Logger
	// CallTimeout bounds each call's database work, also when the caller's
	// context has no deadline. Default DefaultCallTimeout.
	CallTimeout time.Duration
	// SkipMigrations leaves the schema alone (NewQueue only; it must be
	// migrated already).
	SkipMigrations bool
}

// Queue is a taskq.Queue (and taskq.EnqueueCounter) on PostgreSQL: one row
// per entry in the table queue_entries of the schema, shared by every
// process using the same database and schema. Lease takes a batch in one
// statement with FOR UPDATE SKIP LOCKED, so concurrent consumers never
// wait for each other nor get the same id. Times (run-at promotion, lease
// deadlines) come from the database clock, not from one process's.
//
// Wait listens for notifications (LISTEN/NOTIFY) on one connection of its
// own, opened at the first Wait: an idle consumer sees an entry enqueued by
// any process within a network round trip. If that connection fails, Wait
// falls back to sleeping for its max duration (or until the earliest
// scheduled entry is due) while the listener reconnects.
//
// A Queue does not own its pool: Close stops the listener and leaves the
// pool open. It is safe for concurrent use.
type Queue struct {
	pool    *pgxpool.Pool
	sql     *queueQueries
	cfg     QueueConfig
	log     *slog.Logger
	closed  atomic.Bool
	done    chan struct{}
	lis     *listener
	closeMu sync.Once
	// fold paces Reap's folds of the counter rows of ended connections
	// (see foldCounts).
	fold foldGate
	// from is the Store this Queue was made from (Store.Queue), nil for
	// one opened on its own.
	from *Store
	// floors is where Leases start reading each queue's ready entries
	// (queue_floor.go).
	floors roundFloors

	// sleeping, when set (tests), is called when a Wait has looked and
	// found nothing ready, just before it sleeps.
	sleeping func(queue string)
}

var (
	_ taskq.Queue          = (*Queue)(nil)
	_ taskq.EnqueueCounter = (*Queue)(nil)
)

// NewQueue returns a Queue over pool in cfg.Schema, after creating the
// schema if missing and applying the pending migrations there (unless
// cfg.SkipMigrations). The migrations are those of the Store, so a Store
// and a Queue can share one schema; the pool stays the caller's.
func NewQueue(ctx context.Context, pool *pgxpool.Pool, cfg QueueConfig) (*Queue, error) {
	if pool == nil {
		return nil, errors.New("postgres: NewQueue needs a *pgxpool.Pool")
	}
	if cfg.Schema == "" {
		cfg.Schema = DefaultSchema
	}
	if err := pgschema.Validate("postgres: QueueConfig.Schema", cfg.Schema); err != nil {
		return nil, err
	}
	if cfg.CallTimeout < 0 {
		return nil, errors.New("postgres: QueueConfig.CallTimeout must not be negative")
	}
	if !cfg.SkipMigrations {
		if _, err := migrate(ctx, pool, cfg.Schema); err != nil {
			return nil, mapError("migrate", err)
		}
	}
	return newQueue(pool, newQueries(cfg.Schema), cfg), nil
}

// Queue returns a Queue on the store's pool and schema. Close it before the
// store: the store's Close may close the pool.
func (s *Store) Queue(cfg QueueConfig) *Queue {
	cfg.Schema = s.cfg.Schema
	if cfg.Logger == nil {
		cfg.Logger = s.cfg.Logger
	}
	q := newQueue(s.pool, s.q, cfg)
	q.from = s
	return q
}

// RemovesEntryOnFinish reports whether storing a task's terminal status
// (completed, cancelled, dead letter) through s also removes the task's
// entry from this Queue, in the same statement: s is the Store this Queue
// was made from (Store.Queue) and keeps its tasks' entries
// (Config.Dispatch). The worker then does not acknowledge the lease of a
// task it completed, an acknowledgement that would find nothing left to
// delete.
func (q *Queue) RemovesEntryOnFinish(s taskq.StorageAdapter) bool {
	st, ok := s.(*Store)
	return ok && st == q.from && st.q.dispatch
}

func newQueue(pool *pgxpool.Pool, q *queries, cfg QueueConfig) *Queue {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	log := cfg.Logger.With("component", "queue.postgres")
	return &Queue{pool: pool, sql: newQueueQueries(q), cfg: cfg, log: log, done: make(chan struct{}),
		lis: newListener(pool, notifyChannel(cfg.Schema), log)}
}

// notifyChannel is the NOTIFY channel of the queues of schema (the insert
// trigger of migrations/0003_queue.sql computes the same name). Channel
// names are identifiers, cut at 63 bytes; schemas that share a channel only
// wake each other's waiters needlessly.
func notifyChannel(schema string) string {
	c := "taskq_queue_" + schema
	if len(c) > 63 {
		c = c[:63]
	}
	return c
}

// call returns ctx bounded by CallTimeout, or ErrQueueClosed after Close.
func (q *Queue) call(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if q.closed.Load() {
		return nil, nil, ErrQueueClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, q.cfg.CallTimeout)
	return ctx, cancel, nil
}

func checkQueueName(name string) error {
	if !names.Valid(name, taskq.MaxQueueNameLength) {
		return taskq.Errorf(taskq.CodeInvalidInput,
			"postgres: invalid queue name %q: use 1 to %d letters, digits or ._:-/", name, taskq.MaxQueueNameLength)
	}
	return nil
}

func checkEntry(e taskq.QueueEntry) error {
	if e.ID == "" {
		return taskq.Errorf(taskq.CodeInvalidInput, "postgres: queue entry id is empty")
	}
	if !e.Priority.Valid() {
		return taskq.Errorf(taskq.CodeInvalidInput, "postgres: queue entry %q has invalid priority %d", e.ID, int(e.Priority))
	}
	return nil
}

// runAtArg is a run time as a query argument: nil (now) when zero, else
// rounded up to the microsecond (PostgreSQL's resolution), so that an
// entry never becomes ready before its run time.
func runAtArg(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	if r := t.Truncate(time.Microsecond); r.Before(t) {
		t = r.Add(time.Microsecond)
	}
	return &t
}

// micros is d in microseconds, at least 1.
func micros(d time.Duration) int64 { return max(d.Microseconds(), 1) }

// Enqueue implements taskq.Queue.
func (q *Queue) Enqueue(ctx context.Context, queue string, entries ...taskq.QueueEntry) error {
	_, err := q.EnqueueNew(ctx, queue, entries...)
	return err
}

// EnqueueNew implements taskq.EnqueueCounter: Enqueue in one statement,
// reporting how many ids were added (not already present).
func (q *Queue) EnqueueNew(ctx context.Context, queue string, entries ...taskq.QueueEntry) (int, error) {
	ctx, cancel, err := q.call(ctx)
	if err != nil {
		return 0, err
	}
	defer cancel()
	if err := checkQueueName(queue); err != nil {
		return 0, err
	}
	ids := make([]string, len(entries))
	types := make([]string, len(entries))
	owners := make([]string, len(entries))
	prios := make([]int16, len(entries))
	runAts := make([]*time.Time, len(entries))
	for i, e := range entries {
		if err := checkEntry(e); err != nil {
			return 0, err
		}
		ids[i], prios[i], runAts[i], types[i], owners[i] = e.ID, int16(e.Priority), runAtArg(e.RunAt), e.Type, e.Owner
	}
	if len(entries) == 0 {
		return 0, nil
	}
	ct, err := q.pool.Exec(ctx, q.sql.enqueue, queue, ids, prios, pgtype.FlatArray[*time.Time](runAts), types, owners)
	if err != nil {
		return 0, mapError("queue enqueue", err)
	}
	return int(ct.RowsAffected()), nil
}

// Lease implements taskq.Queue in one round trip: a statement that gives
// the due entries without a round theirs (see promoteSQL), then one that
// leases. Inside a priority, entries are leased in round order (shared
// fairly between owners, see taskq.QueueEntry.Owner). With p.Weights set,
// each slot goes to one of the non-empty priorities with a positive
// weight, at random in proportion to the weights; the others are taken
// only when no weighted priority has entries. Scheduled entries due at the
// lease time get their rounds then, behind the entries that were ready
// before them. With p.Now set, entries due by p.Now or by the database
// clock are leasable and deadlines count from p.Now; an entry promoted at
// a p.Now in the future still counts as scheduled until due, and is not
// leased before.
func (q *Queue) Lease(ctx context.Context, p taskq.LeaseParams) ([]taskq.Lease, error) {
	leases, _, err := q.lease(ctx, p, nil, 0)
	return leases, err
}

// LeaseAndStart leases as Lease does and, in the same statement (one
// round trip, one commit), starts the records of the first n leased tasks
// (in the order Lease returns them) at at, as s.StartTasks(ctx, ids, at)
// would: status running, one more attempt. It returns the leases and the
// started records by lease id. A lease among the first n whose record was
// not started is returned without one: its record is not startable
// (terminal, or missing), or another transaction held its row at that
// moment; its holder starts it, or learns it is not startable, with
// StartTasks, as it does the leases after the first n. With p.Limits
// active for the queue it only leases (no records).
//
// s must be the Store this Queue was made from, with Config.Dispatch
// (RemovesEntryOnFinish(s) reports it): its records and this Queue's
// entries live in one database. The worker passes as n the handlers that
// are free, so the tasks that start at once have their records started
// with the lease, saving the start's round trip and commit, and the ones
// leased ahead of a handler (Prefetch) stay pending until one takes them.
func (q *Queue) LeaseAndStart(ctx context.Context, p taskq.LeaseParams, n int, s taskq.StorageAdapter, at time.Time) ([]taskq.Lease, map[string]*taskq.Task, error) {
	if !q.RemovesEntryOnFinish(s) {
		return nil, nil, taskq.Errorf(taskq.CodeInvalidInput, "postgres: LeaseAndStart needs the Store this Queue was made from (Store.Queue), with Config.Dispatch")
	}
	if n < 1 {
		return q.lease(ctx, p, nil, 0)
	}
	if at.IsZero() {
		at = q.from.cfg.Now()
	}
	at = at.UTC()
	return q.lease(ctx, p, &at, n)
}

// lease is Lease; with start set it also starts the first n leased
// records at *start (LeaseAndStart). It reads from the queue's round
// floors (queue_floor.go) while they are fresh; when they keep it from
// taking p.Max entries, it leases the rest without them at once, so an
// entry they hid is never left behind by a lease that could take it.
func (q *Queue) lease(ctx context.Context, p taskq.LeaseParams, start *time.Time, n int) ([]taskq.Lease, map[string]*taskq.Task, error) {
	ctx, cancel, err := q.call(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer cancel()
	if p.Max < 1 {
		return nil, nil, taskq.Errorf(taskq.CodeInvalidInput, "postgres: lease max must be at least 1, got %d", p.Max)
	}
	if p.TTL <= 0 {
		return nil, nil, taskq.Errorf(taskq.CodeInvalidInput, "postgres: lease ttl must be positive, got %s", p.TTL)
	}
	now := runAtArg(p.Now)
	if flow.Active(p.Limits, p.Queue) {
		leases, err := q.leaseLimited(ctx, p, now)
		return leases, nil, err
	}
	// A fixed lease time (tests) reads without floors: an entry promoted
	// at a lease time ahead of the next one's could sit below them.
	floors, bounded := unbounded, false
	if p.Now.IsZero() {
		floors, bounded = q.floors.get(p.Queue)
	}
	leases, started, lowest, err := q.leaseOnce(ctx, p, now, start, n, floors)
	if err != nil {
		return nil, nil, err
	}
	full := len(leases) == p.Max
	if p.Now.IsZero() {
		q.floors.record(p.Queue, bounded, full, lowest)
	}
	if !bounded || full {
		return leases, started, nil
	}
	rest := p
	rest.Max -= len(leases)
	more, moreStarted, lowest, err := q.leaseOnce(ctx, rest, now, start, max(n-len(leases), 0), unbounded)
	if err != nil {
		if len(leases) > 0 {
			// The first statement's leases are held: return them.
			return leases, started, nil
		}
		return nil, nil, err
	}
	q.floors.record(p.Queue, false, len(more) == rest.Max, lowest)
	if started == nil && len(moreStarted) > 0 {
		started = map[string]*taskq.Task{}
	}
	for id, t := range moreStarted {
		started[id] = t
	}
	return append(leases, more...), started, nil
}

// leaseOnce runs one lease statement (after the promotion) with the round
// floors floors and returns the leases in lease order, the started records
// (start set) and the lowest round leased in each priority (noFloor for
// none).
func (q *Queue) leaseOnce(ctx context.Context, p taskq.LeaseParams, now *time.Time, start *time.Time, n int, floors []int64) ([]taskq.Lease, map[string]*taskq.Task, [taskq.NumPriorities]int64, error) {
	lowest := [taskq.NumPriorities]int64{noFloor, noFloor, noFloor, noFloor}
	strict := p.Weights == nil
	if n < 1 {
		start = nil // nothing to start: the lease alone
	}
	args := []any{p.Queue, now, p.Max, micros(p.TTL)}
	var sql string
	switch {
	case strict && start == nil:
		sql = q.sql.leaseStrict
	case strict:
		sql, args = q.sql.leaseStartStrict, append(args, *start, n)
	default:
		weights := make([]int32, taskq.NumPriorities)
		for i := range weights {
			if i < len(p.Weights) && p.Weights[i] > 0 {
				weights[i] = int32(min(p.Weights[i], 1<<30))
			}
		}
		sql, args = q.sql.leaseWeighted, append(args, weights)
		if start != nil {
			sql, args = q.sql.leaseStartWeighted, append(args, *start, n)
		}
	}
	args = append(args, floors)
	b := &pgx.Batch{}
	q.queuePromote(b, p.Queue, now)
	b.Queue(sql, args...)
	br := q.pool.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, nil, lowest, mapError("queue lease", err)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, lowest, mapError("queue lease", err)
	}
	defer rows.Close()
	// ord is the weighted lease's slot; the strict one sorts by (priority
	// desc, round, run_at, seq), the seq the entry had while it waited.
	type leased struct {
		l     taskq.Lease
		round int64
		runAt time.Time
		ord   int64
	}
	var (
		got     []leased
		started map[string]*taskq.Task
		prio    int16
		r       leased
	)
	dest := []any{&r.l.ID, &prio, &r.l.Deadline, &r.round, &r.runAt, &r.ord, &r.l.Token}
	if !strict {
		dest = []any{&r.l.ID, &prio, &r.l.Deadline, &r.round, &r.ord, &r.l.Token}
	}
	if start != nil {
		started = map[string]*taskq.Task{}
		dest = append(dest, nil) // whether started: read from the raw value
	}
	for rows.Next() {
		if start == nil {
			err = rows.Scan(dest...)
		} else if startedRow(rows, len(dest)-1) {
			var t *taskq.Task
			if t, err = scanTask(prefixedRow{rows, dest}); err == nil {
				started[r.l.ID] = t
			}
		} else {
			err = rows.Scan(append(dest, make([]any, readColumnCount)...)...)
		}
		if err != nil {
			return nil, nil, lowest, mapError("queue lease", err)
		}
		r.l.Priority = taskq.TaskPriority(prio)
		r.l.Deadline = r.l.Deadline.UTC()
		got = append(got, r)
		if i := int(prio); i >= 0 && i < len(lowest) && (lowest[i] == noFloor || r.round < lowest[i]) {
			lowest[i] = r.round
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, lowest, mapError("queue lease", err)
	}
	slices.SortFunc(got, func(a, b leased) int {
		if !strict {
			return cmp.Compare(a.ord, b.ord)
		}
		if c := cmp.Compare(b.l.Priority, a.l.Priority); c != 0 {
			return c
		}
		if c := cmp.Compare(a.round, b.round); c != 0 {
			return c
		}
		if c := a.runAt.Compare(b.runAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ord, b.ord)
	})
	out := make([]taskq.Lease, len(got))
	for i, g := range got {
		out[i] = g.l
	}
	return out, started, lowest, nil
}

// prefixedRow scans a row of rows into prefix and then dest: scanTask reads
// the record columns that follow a lease's.
type prefixedRow struct {
	rows   pgx.Rows
	prefix []any
}

func (p prefixedRow) Scan(dest ...any) error {
	return p.rows.Scan(append(p.prefix[:len(p.prefix):len(p.prefix)], dest...)...)
}

// startedRow reads the boolean column i of the current row from its raw
// value (before the row is scanned: the record columns that follow are
// NULL when it is false).
func startedRow(rows pgx.Rows, i int) bool {
	v := rows.RawValues()[i]
	if len(v) != 1 {
		return false
	}
	if rows.FieldDescriptions()[i].Format == pgx.BinaryFormatCode {
		return v[0] == 1
	}
	return v[0] == 't'
}

// promoteMax bounds the entries one Lease gives rounds to: a burst larger
// than that is promoted over several leases, oldest first.
const promoteMax = 1000

// promoteKey is the advisory lock promoters of queue take turns with.
func (q *Queue) promoteKey(queue string) int64 {
	return pgschema.LockKey(q.cfg.Schema, "promote\x00"+queue)
}

// queuePromote adds the promotion statement of a lease of queue at now
// (nil: the database clock) to b.
func (q *Queue) queuePromote(b *pgx.Batch, queue string, now *time.Time) {
	b.Queue(q.sql.promote, queue, now, q.promoteKey(queue), promoteMax)
}

// Extend implements taskq.Queue. A lease that expired but was not reaped
// yet is still held and is extended.
func (q *Queue) Extend(ctx context.Context, queue string, leases []taskq.Lease, ttl time.Duration) ([]taskq.Lease, error) {
	ctx, cancel, err := q.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if ttl <= 0 {
		return nil, taskq.Errorf(taskq.CodeInvalidInput, "postgres: extend ttl must be positive, got %s", ttl)
	}
	if len(leases) == 0 {
		return nil, nil
	}
	ids, toks := leaseArgs(leases)
	rows, err := q.pool.Query(ctx, q.sql.extend, queue, ids, micros(ttl), toks)
	if err != nil {
		return nil, mapError("queue extend", err)
	}
	type key struct {
		id  string
		tok int64
	}
	kept := make(map[key]bool, len(leases))
	var k key
	if _, err := pgx.ForEachRow(rows, []any{&k.id, &k.tok}, func() error {
		kept[k] = true
		return nil
	}); err != nil {
		return nil, mapError("queue extend", err)
	}
	var lost []taskq.Lease
	for _, l := range leases {
		if !kept[key{l.ID, l.Token}] {
			lost = append(lost, l)
		}
	}
	return lost, nil
}

// leaseArgs splits leases into ids and tokens, in id order: the
// statements that take them lock the entries in that order, as the
// group-commit writer's batches lock records and entries (sorted by task
// id), so an extend or ack and a batch storing completions never wait for
// each other in opposite orders (a deadlock PostgreSQL would break by
// aborting one of them).
func leaseArgs(leases []taskq.Lease) ([]string, []int64) {
	sorted := slices.SortedFunc(slices.Values(leases), func(a, b taskq.Lease) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), cmp.Compare(a.Token, b.Token))
	})
	ids, toks := make([]string, len(sorted)), make([]int64, len(sorted))
	for i, l := range sorted {
		ids[i], toks[i] = l.ID, l.Token
	}
	return ids, toks
}

// Ack implements taskq.Queue. Ids that are not leased under the given
// token (absent, ready, scheduled or leased again) are left alone.
func (q *Queue) Ack(ctx context.Context, queue string, leases ...taskq.Lease) error {
	ctx, cancel, err := q.call(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	if len(leases) == 0 {
		return nil
	}
	ids, toks := leaseArgs(leases)
	_, err = q.pool.Exec(ctx, q.sql.ack, queue, ids, toks)
	return mapError("queue ack", err)
}

// Remove implements taskq.Queue.
func (q *Queue) Remove(ctx context.Context, queue string, ids ...string) error {
	ctx, cancel, err := q.call(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	if len(ids) == 0 {
		return nil
	}
	_, err = q.pool.Exec(ctx, q.sql.remove, queue, ids)
	return mapError("queue remove", err)
}

// Requeue implements taskq.Queue.
func (q *Queue) Requeue(ctx context.Context, queue string, e taskq.QueueEntry) error {
	ctx, cancel, err := q.call(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	if err := checkQueueName(queue); err != nil {
		return err
	}
	if err := checkEntry(e); err != nil {
		return err
	}
	if e.Token != 0 {
		_, err = q.pool.Exec(ctx, q.sql.requeueLease, queue, e.ID, int16(e.Priority), runAtArg(e.RunAt), q.lis.channel, e.Token)
		return mapError("queue requeue", err)
	}
	_, err = q.pool.Exec(ctx, q.sql.requeue, queue, e.ID, int16(e.Priority), runAtArg(e.RunAt), q.lis.channel, e.Type, e.Owner)
	return mapError("queue requeue", err)
}

// Reap implements taskq.Queue. Expired leases come out earliest deadline
// first.
func (q *Queue) Reap(ctx context.Context, queue string, max int, ttl time.Duration) ([]taskq.Lease, error) {
	ctx, cancel, err := q.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if max < 1 {
		return nil, taskq.Errorf(taskq.CodeInvalidInput, "postgres: reap max must be at least 1, got %d", max)
	}
	if ttl <= 0 {
		return nil, taskq.Errorf(taskq.CodeInvalidInput, "postgres: reap ttl must be positive, got %s", ttl)
	}
	rows, err := q.pool.Query(ctx, q.sql.reap, queue, max, micros(ttl))
	if err != nil {
		return nil, mapError("queue reap", err)
	}
	out := []taskq.Lease{}
	var l taskq.Lease
	var prio int16
	_, err = pgx.ForEachRow(rows, []any{&l.ID, &prio, &l.Deadline, &l.Token}, func() error {
		l.Priority = taskq.TaskPriority(prio)
		l.Deadline = l.Deadline.UTC()
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, mapError("queue reap", err)
	}
	q.foldCounts(ctx)
	return out, nil
}

// foldCounts runs queueCountsFoldSQL when foldEvery has passed since this
// Queue last did. The reaper calls Reap periodically on one replica (the
// maintenance leader), so the counter table stays at about one row per
// queue, priority and open connection. A failure is logged: the counts
// stay exact, the table only keeps a few more rows until the next fold.
func (q *Queue) foldCounts(ctx context.Context) {
	if !q.fold.due() {
		return
	}
	if _, err := q.pool.Exec(ctx, q.sql.foldCounts); err != nil {
		q.log.WarnContext(ctx, "postgres queue: folding the counter rows of ended connections failed", "error", err)
	}
}

// Stats implements taskq.Queue, by the database clock: the counts come
// from the queue's counter rows, its leases and its scheduled entries (see
// statsSQL), not from a scan of the queue.
func (q *Queue) Stats(ctx context.Context, queue string) (taskq.QueueStats, error) {
	var s taskq.QueueStats
	ctx, cancel, err := q.call(ctx)
	if err != nil {
		return s, err
	}
	defer cancel()
	rows, err := q.pool.Query(ctx, q.sql.stats, queue)
	if err != nil {
		return s, mapError("queue stats", err)
	}
	var prio int16
	var ready, sched, leased int64
	_, err = pgx.ForEachRow(rows, []any{&prio, &ready, &sched, &leased}, func() error {
		if prio >= 0 && int(prio) < taskq.NumPriorities {
			s.Ready[prio] = ready
		}
		s.Scheduled += sched
		s.Leased += leased
		return nil
	})
	if err != nil {
		return taskq.QueueStats{}, mapError("queue stats", err)
	}
	return s, nil
}

// Queues implements taskq.Queue; the names come sorted.
func (q *Queue) Queues(ctx context.Context) ([]string, error) {
	ctx, cancel, err := q.call(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	rows, err := q.pool.Query(ctx, q.sql.queues)
	if err != nil {
		return nil, mapError("queue names", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, mapError("queue names", err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// Ping implements taskq.Queue.
func (q *Queue) Ping(ctx context.Context) error {
	ctx, cancel, err := q.call(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	return mapError("queue ping", q.pool.Ping(ctx))
}

// Close implements taskq.Queue: it stops the listener (its goroutine has
// ended when Close returns), blocked Waits return ErrQueueClosed and later
// calls fail with it. The pool stays open. Closing twice is not an error.
func (q *Queue) Close() error {
	q.closeMu.Do(func() {
		q.closed.Store(true)
		close(q.done)
		q.lis.stop()
	})
	return nil
}
