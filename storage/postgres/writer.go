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

// writeOp is one statement of a group-commit batch. queue adds exactly one
// statement to the batch with a callback that records the statement's own
// outcome in the op (rows affected, rows returned); the callback returns an
// error only for a failed statement, which aborts the batch.
type writeOp struct {
	ctx   context.Context
	key   string // lock-order key: the (first) task id
	queue func(b *pgx.Batch)
	done  chan error
}

// WriterStats counts the work of the group-commit writer.
type WriterStats struct {
	// Batches is the number of round trips (each one transaction).
	Batches int64
	// Statements is the number of statements sent in those batches.
	Statements int64
	// Fallbacks counts batches re-run one statement at a time after a
	// statement failed.
	Fallbacks int64
}

// writer is the group-commit writer. Calls queue ops on reqs; a dispatcher
// takes the first waiting op, waits for a free flight slot (at most
// MaxInFlight batches at once), then takes every op queued meanwhile, up
// to MaxBatch, and sends them as one pipelined batch: one round trip, one
// implicit transaction, one commit. Under load, batches grow with the
// number of calls that arrive during a round trip; a lone call goes out at
// once.
type writer struct {
	pool    *pgxpool.Pool
	cfg     Config
	reqs    chan *writeOp
	slots   chan struct{}
	stop    chan struct{}
	stopped chan struct{}
	flights sync.WaitGroup

	batches, statements, fallbacks atomic.Int64
}

var errWriterClosed = errors.New("postgres: store closed")

func newWriter(pool *pgxpool.Pool, cfg Config) *writer {
	w := &writer{
		pool:    pool,
		cfg:     cfg,
		reqs:    make(chan *writeOp, cfg.MaxBatch*cfg.MaxInFlight),
		slots:   make(chan struct{}, cfg.MaxInFlight),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go w.run()
	return w
}

// do runs op in a batch and returns its outcome, or the caller's context
// error if that ends first (the statement may still run).
func (w *writer) do(ctx context.Context, op *writeOp) error {
	op.ctx = ctx
	op.done = make(chan error, 1)
	select {
	case <-w.stop:
		return unavailable("write", errWriterClosed)
	default:
	}
	select {
	case w.reqs <- op:
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
		// Every op the dispatcher took has its outcome by now; one sent
		// after the final drain never ran.
		select {
		case err := <-op.done:
			return err
		default:
			return unavailable("write", errWriterClosed)
		}
	}
}

func (w *writer) run() {
	defer close(w.stopped)
	for {
		var first *writeOp
		select {
		case first = <-w.reqs:
		case <-w.stop:
			w.drain()
			return
		}
		w.slots <- struct{}{}
		batch := w.collect(first)
		w.flights.Add(1)
		go func() {
			defer func() { <-w.slots; w.flights.Done() }()
			w.flush(batch)
		}()
	}
}

// collect gathers the ops queued behind first, waiting up to BatchWindow
// for more when one is configured.
func (w *writer) collect(first *writeOp) []*writeOp {
	batch := []*writeOp{first}
	var window <-chan time.Time
	if w.cfg.BatchWindow > 0 {
		timer := time.NewTimer(w.cfg.BatchWindow)
		defer timer.Stop()
		window = timer.C
	}
	for len(batch) < w.cfg.MaxBatch {
		select {
		case op := <-w.reqs:
			batch = append(batch, op)
			continue
		default:
		}
		if window == nil {
			break
		}
		select {
		case op := <-w.reqs:
			batch = append(batch, op)
			continue
		case <-window:
		case <-w.stop:
		}
		break
	}
	return batch
}

// drain fails the ops still queued at close and waits for batches in
// flight.
func (w *writer) drain() {
	for {
		select {
		case op := <-w.reqs:
			op.done <- unavailable("write", errWriterClosed)
		default:
			w.flights.Wait()
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
	return WriterStats{Batches: w.batches.Load(), Statements: w.statements.Load(), Fallbacks: w.fallbacks.Load()}
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
	for _, op := range ops {
		op.queue(b)
	}
	w.batches.Add(1)
	w.statements.Add(int64(len(ops)))
	return w.pool.SendBatch(ctx, b).Close()
}
