package postgres

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/pgschema"
)

// Defaults of RelayConfig.
const (
	DefaultRelaySweepInterval = 5 * time.Second
	DefaultRelayBatchSize     = 500
	DefaultRelayPushTimeout   = 10 * time.Second
)

// relayRetryMin is the first delay before a relay tries again after a
// failed push; it doubles up to the sweep interval.
const relayRetryMin = 100 * time.Millisecond

// takeOutboxSQL deletes up to $1 outbox rows, oldest first, skipping those
// another relay holds, and returns the dispatch state of their tasks (no
// task columns when the task was deleted meanwhile). The caller pushes the
// tasks before committing: rolled back, the rows are there again.
const takeOutboxSQL = `WITH taken AS (
		DELETE FROM {schema}.task_outbox
		WHERE seq = ANY (ARRAY(SELECT seq FROM {schema}.task_outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED))
		RETURNING seq, task_id)
	SELECT taken.task_id::text, t.queue, t.priority, t.run_at, t.created, t.status, t.type, t.owner
	FROM taken LEFT JOIN {schema}.tasks t ON t.id = taken.task_id
	ORDER BY taken.seq`

// RelayConfig configures a Relay. The zero value works.
type RelayConfig struct {
	// SweepInterval is how often the relay looks for outbox rows without
	// having been notified (a notification lost with a connection, rows
	// left by a relay that died, a push that failed). Default
	// DefaultRelaySweepInterval.
	SweepInterval time.Duration
	// BatchSize caps the rows taken (and pushed) in one transaction.
	// Default DefaultRelayBatchSize.
	BatchSize int
	// PushTimeout bounds one push on the queue. Default
	// DefaultRelayPushTimeout.
	PushTimeout time.Duration
	// Logger receives warnings (failed pushes, a lost listener
	// connection); nil: the store's logger.
	Logger *slog.Logger
}

// Relay pushes the tasks that TxEnqueuer created in committed transactions
// from the store's outbox to a taskq.Queue (Redis, for example). One relay
// per schema, the holder of the schema's relay lock (a session advisory
// lock on a connection of its own), LISTENs for the notification each
// such commit sends, so that a task reaches the queue a few milliseconds
// after its commit; the others try to take the lock every SweepInterval,
// so one of them listens soon after the listening one is gone. Every relay
// also sweeps the outbox when it starts and every SweepInterval, so rows
// left behind by a relay that was killed between a commit and its push,
// or whose push failed, are pushed too.
//
// A relay takes rows with FOR UPDATE SKIP LOCKED in a transaction of its
// own, pushes their tasks (idempotently by task id), and deletes them when
// that transaction commits. Relays in several processes therefore share
// the work, and a relay that dies before its commit leaves its rows for the
// others: a task is pushed at least once, and the queue's idempotency (and
// the worker, which skips a task whose record is terminal) makes a second
// push harmless. Rows of tasks that are already terminal, or deleted, are
// dropped without a push.
//
// Workers run a relay on their own (taskq.OutboxRelay); build one with
// Store.Relay to run it elsewhere.
type Relay struct {
	store   *Store
	queue   taskq.Queue
	cfg     RelayConfig
	log     *slog.Logger
	take    string
	channel string
	lockKey int64       // the schema's relay lock: its holder listens
	leading atomic.Bool // set while this relay holds it and listens
}

var _ taskq.OutboxRelay = (*Store)(nil)

// Relay returns a Relay from the store's outbox to queue; Run runs it.
func (s *Store) Relay(queue taskq.Queue, cfg RelayConfig) *Relay {
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = DefaultRelaySweepInterval
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultRelayBatchSize
	}
	if cfg.PushTimeout <= 0 {
		cfg.PushTimeout = DefaultRelayPushTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = s.log
	}
	return &Relay{store: s, queue: queue, cfg: cfg, log: log.With("component", "outbox.relay"),
		take: s.q.expand(takeOutboxSQL), channel: outboxChannel(s.cfg.Schema),
		lockKey: pgschema.LockKey(s.cfg.Schema, "outbox_relay")}
}

// outboxChannel is the NOTIFY channel of the outbox of schema (the insert
// trigger of migrations/0007_task_outbox.sql computes the same name).
func outboxChannel(schema string) string {
	c := "taskq_outbox_" + schema
	if len(c) > 63 {
		c = c[:63]
	}
	return c
}

// RelayOutbox implements taskq.OutboxRelay: it runs a Relay with the
// default configuration until ctx ends. A store with Config.Dispatch
// writes no outbox rows (its transactions write the queue entries
// themselves): it pushes the rows an earlier configuration may have left
// once, and returns.
func (s *Store) RelayOutbox(ctx context.Context, queue taskq.Queue) error {
	r := s.Relay(queue, RelayConfig{})
	if s.cfg.Dispatch {
		if _, err := r.Flush(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("outbox relay: cannot push leftover rows; the reconciler will", "error", err)
		}
		return nil
	}
	return r.Run(ctx)
}

// Run relays until ctx ends, then returns nil. It returns an error at once
// only when the relay has no queue. Failed pushes are logged and tried
// again, after a delay that doubles up to SweepInterval.
func (r *Relay) Run(ctx context.Context) error {
	if r.queue == nil {
		return errors.New("postgres: Relay needs a taskq.Queue")
	}
	wake := make(chan struct{}, 1)
	lctx, stopListening := context.WithCancel(ctx)
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		r.listen(lctx, wake)
	}()
	defer func() {
		stopListening()
		<-listening
	}()
	sweep := time.NewTicker(r.cfg.SweepInterval)
	defer sweep.Stop()
	retry := time.Duration(0)
	for {
		// A notification arriving during the look leaves a signal in wake,
		// so the loop looks again: none is lost.
		_, err := r.Flush(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			retry = 0
			select {
			case <-ctx.Done():
				return nil
			case <-wake:
			case <-sweep.C:
			}
			continue
		}
		// The queue (or the database) is down: do not hammer it at every
		// commit; try again after a delay.
		retry = min(max(2*retry, relayRetryMin), r.cfg.SweepInterval)
		r.log.Warn("outbox relay: push failed; trying again", "retry_in", retry, "error", err)
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// Flush pushes the tasks of the outbox rows present now (except those
// another relay holds) and deletes the rows, batch by batch, and returns
// how many tasks it pushed. On error, the rows of the failed batch stay
// for a later Flush.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	if r.queue == nil {
		return 0, errors.New("postgres: Relay needs a taskq.Queue")
	}
	total := 0
	for {
		taken, pushed, err := r.flushBatch(ctx)
		total += pushed
		if err != nil || taken < r.cfg.BatchSize {
			return total, err
		}
	}
}

// flushBatch takes up to BatchSize rows in a transaction, pushes their
// tasks, and commits; it returns the rows taken and the tasks pushed.
func (r *Relay) flushBatch(ctx context.Context) (taken, pushed int, err error) {
	const op = "relay outbox"
	tx, err := r.store.pool.Begin(ctx)
	if err != nil {
		return 0, 0, mapError(op, err)
	}
	defer func() {
		if err != nil {
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = tx.Rollback(rctx)
			cancel()
		}
	}()
	rows, err := tx.Query(ctx, r.take, r.cfg.BatchSize)
	if err != nil {
		return 0, 0, mapError(op, err)
	}
	byQueue := map[string][]taskq.QueueEntry{}
	var order []string
	for rows.Next() {
		var (
			id             string
			queue, status  *string
			typ, owner     *string
			priority       *int16
			runAt, created *time.Time
		)
		if err := rows.Scan(&id, &queue, &priority, &runAt, &created, &status, &typ, &owner); err != nil {
			rows.Close()
			return 0, 0, mapError(op, err)
		}
		taken++
		if queue == nil || taskq.TaskStatus(*status).Terminal() {
			continue // deleted, or finished already: nothing to push
		}
		e := taskq.QueueEntry{ID: id, Priority: taskq.TaskPriority(*priority), Type: *typ, Owner: *owner}
		if runAt.After(*created) {
			e.RunAt = runAt.UTC() // scheduled; otherwise ready by the queue's clock
		}
		if byQueue[*queue] == nil {
			order = append(order, *queue)
		}
		byQueue[*queue] = append(byQueue[*queue], e)
	}
	if err := rows.Err(); err != nil {
		return 0, 0, mapError(op, err)
	}
	for _, q := range order {
		entries := byQueue[q]
		pctx, cancel := context.WithTimeout(ctx, r.cfg.PushTimeout)
		err := r.queue.Enqueue(pctx, q, entries...)
		cancel()
		if err != nil {
			return 0, 0, err
		}
		pushed += len(entries)
	}
	if err := tx.Commit(ctx); err != nil {
		// The pushes stand; the rows come back and are pushed again,
		// which changes nothing.
		return 0, pushed, mapError(op, err)
	}
	return taken, pushed, nil
}
