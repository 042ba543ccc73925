package postgres

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// writeOp is one call served by a group-commit batch, in one of three
// forms. A task insert (ins set) joins the batch's multi-row INSERT and a
// task update (upd set) its multi-row UPDATE; their outcomes are recorded
// in ins.inserted and upd.applied. Any other call has queue, which adds
// exactly one statement to the batch with a callback that records the
// statement's own outcome in the op (rows affected, rows returned); the
// callback returns an error only for a failed statement, which aborts the
// batch.
type writeOp struct {
	ctx   context.Context
	key   string // lock-order key: the (first) task id
	queue func(b *pgx.Batch)
	ins   *taskInsert
	upd   *taskUpdate
	done  chan error
}

// WriterStats counts the work of the group-commit writer.
type WriterStats struct {
	// Batches is the number of round trips (each one transaction).
	Batches int64
	// Calls is the number of calls served by those batches.
	Calls int64
	// Statements is the number of statements sent in those batches:
	// concurrent UpdateTask calls share one multi-row statement, so there
	// are fewer statements than calls under load.
	Statements int64
	// Fallbacks counts batches re-run one statement at a time after a
	// statement failed.
	Fallbacks int64
}

// writer is the group-commit writer. Calls queue ops on a lane; the
// lane's dispatcher takes the first waiting op, waits for a free flight
// slot of the lane, then takes every op queued meanwhile, up to MaxBatch,
// and sends them as one pipelined batch: one round trip, one implicit
// transaction, one commit. Under load, batches grow with the number of
// calls that arrive during a round trip; a lone call goes out at once.
//
// With MaxInFlight of 2 or more there are two lanes: StartTasks calls
// have one batch in flight of their own, everything else the rest. A
// StartTasks call holds a worker's handler slots until it returns, while
// recording outcomes does not, so marking leased tasks running never waits
// for a slot behind a batch of completions, nor rides in one. With
// MaxInFlight 1 all calls share one lane.
type writer struct {
	pool    *pgxpool.Pool
	q       *queries
	cfg     Config
	general *lane
	starts  *lane // == general with MaxInFlight 1
	stop    chan struct{}
	stopped chan struct{}

	batches, calls, statements, fallbacks atomic.Int64
}

// lane is a queue of calls with its own batches in flight.
type lane struct {
	reqs    chan *writeOp
	slots   chan struct{}
	flights sync.WaitGroup
}

func newLane(cfg Config, inFlight int) *lane {
	return &lane{reqs: make(chan *writeOp, cfg.MaxBatch*inFlight), slots: make(chan struct{}, inFlight)}
}

var errWriterClosed = errors.New("postgres: store closed")

func newWriter(pool *pgxpool.Pool, q *queries, cfg Config) *writer {
	w := &writer{pool: pool, q: q, cfg: cfg, stop: make(chan struct{}), stopped: make(chan struct{})}
	lanes := []*lane{newLane(cfg, cfg.MaxInFlight)}
	if cfg.MaxInFlight > 1 {
		lanes = []*lane{newLane(cfg, cfg.MaxInFlight-1), newLane(cfg, 1)}
	}
	w.general, w.starts = lanes[0], lanes[len(lanes)-1]
	var running sync.WaitGroup
	for _, l := range lanes {
		running.Add(1)
		go func() {
			defer running.Done()
			w.run(l)
		}()
	}
	go func() {
		running.Wait()
		close(w.stopped)
	}()
	return w
}

// do runs op in a batch of l and returns its outcome, or the caller's
// context error if that ends first (the statement may still run).
func (w *writer) do(ctx context.Context, l *lane, op *writeOp) error {
	op.ctx = ctx
	op.done = make(chan error, 1)
	select {
	case <-w.stop:
		return unavailable("write", errWriterClosed)
	default:
	}
	select {
	case l.reqs <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.stopped:
		return unavailable("write", errWriterClosed)
	}
	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-w.stopped:
		// Every op the dispatchers took has its outcome by now; one sent
		// after the final drain never ran.
		select {
		case err := <-op.done:
			return err
		default:
			return unavailable("write", errWriterClosed)
		}
	}
}

// run dispatches the batches of l until the writer stops.
func (w *writer) run(l *lane) {
	for {
		var first *writeOp
		select {
		case first = <-l.reqs:
		case <-w.stop:
			w.drain(l)
			return
		}
		l.slots <- struct{}{}
		batch := w.collect(l, first)
		l.flights.Add(1)
		go func() {
			defer func() { <-l.slots; l.flights.Done() }()
			w.flush(batch)
		}()
	}
}

// collect gathers the ops queued on l behind first, waiting up to
// BatchWindow for more when one is configured.
func (w *writer) collect(l *lane, first *writeOp) []*writeOp {
	batch := []*writeOp{first}
	var window <-chan time.Time
	if w.cfg.BatchWindow > 0 {
		timer := time.NewTimer(w.cfg.BatchWindow)
		defer timer.Stop()
		window = timer.C
	}
	for len(batch) < w.cfg.MaxBatch {
		select {
		case op := <-l.reqs:
			batch = append(batch, op)
			continue
		default:
		}
		if window == nil {
			break
		}
		select {
		case op := <-l.reqs:
			batch = append(batch, op)
			continue
		case <-window:
		case <-w.stop:
		}
		break
	}
	return batch
}

// drain fails the ops still queued on l at close and waits for batches in
// flight.
func (w *writer) drain(l *lane) {
	for {
		select {
		case op := <-l.reqs:
			op.done <- unavailable("write", errWriterClosed)
		default:
			l.flights.Wait()
			return
		}
	}
}

func (w *writer) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.stopped
}

func (w *writer) stats() WriterStats {
	return WriterStats{Batches: w.batches.Load(), Calls: w.calls.Load(), Statements: w.statements.Load(),
		Fallbacks: w.fallbacks.Load()}
}

// flush sends ops as one batch. The ops are sorted by task id so that
// concurrent batches lock rows in the same order. If a statement fails,
// the whole transaction rolled back, so every op runs again alone and gets
// its own outcome.
func (w *writer) flush(ops []*writeOp) {
	live := ops[:0]
	for _, op := range ops {
		if err := op.ctx.Err(); err != nil {
			op.done <- err
			continue
		}
		live = append(live, op)
	}
	if len(live) == 0 {
		return
	}
	sort.SliceStable(live, func(i, j int) bool { return live[i].key < live[j].key })
	err := w.send(live)
	if err != nil && len(live) > 1 && rolledBack(err) {
		w.fallbacks.Add(1)
		for _, op := range live {
			op.done <- w.send([]*writeOp{op})
		}
		return
	}
	for _, op := range live {
		op.done <- err
	}
}

func (w *writer) send(ops []*writeOp) error {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.WriteTimeout)
	defer cancel()
	b := &pgx.Batch{}
	var ins, upds []*writeOp
	for _, op := range ops {
		switch {
		case op.ins != nil:
			op.ins.inserted = false
			ins = append(ins, op)
		case op.upd != nil:
			op.upd.applied = false
			upds = append(upds, op)
		default:
			op.queue(b)
		}
	}
	queueInserts(b, w.q, ins)
	queueUpdates(b, w.q, upds)
	w.batches.Add(1)
	w.calls.Add(int64(len(ops)))
	w.statements.Add(int64(b.Len()))
	return w.pool.SendBatch(ctx, b).Close()
}
