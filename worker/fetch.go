package worker

import (
	"context"
	"errors"
	"time"

	"github.com/taskq/taskq"
)

// maxLeaseBatch bounds one Lease call.
const maxLeaseBatch = 256

// fetchLoop leases tasks of one queue whenever handler slots are free and
// hands them to the runners.
func (w *Worker) fetchLoop(queue string) {
	defer w.fetchWG.Done()
	ctx := w.fetchCtx
	errDelay := 50 * time.Millisecond
	for {
		select {
		case <-w.slots:
		case <-ctx.Done():
			return
		}
		n := 1
	grab:
		for n < maxLeaseBatch {
			select {
			case <-w.slots:
				n++
			default:
				break grab
			}
		}
		if w.pauses.isPaused(ctx, queue) {
			w.release(n)
			if !sleepCtx(ctx, pauseRefresh) {
				return
			}
			continue
		}
		// The first tasks leased now, as many as there are free handlers,
		// start at once: their records are started with the lease, in
		// one round trip and one commit, instead of by each runner's
		// StartTasks. The others (Prefetch) stay pending until a handler
		// takes them.
		free := 0
		if w.leaseStart != nil {
			free = w.reserveHandlers(n)
		}
		// unreserve gives back the handlers reserved for this lease, once
		// its tasks are dispatched (they count themselves) or none came.
		unreserve := func() { w.inflight.Add(-int64(free)) }
		// The lease call is not tied to ctx: a lease granted by the server
		// but lost to a cancelled call would wait for the reaper. The
		// backends bound the call's time. The leases are valid from the
		// start of the call, by this worker's clock.
		sent := time.Now()
		params := taskq.LeaseParams{
			Queue: queue, Max: n, TTL: w.cfg.LeaseTTL, Weights: w.cfg.Weights,
			Limits: w.cfg.Limits,
		}
		var (
			leases  []taskq.Lease
			started map[string]*taskq.Task
			err     error
		)
		if free > 0 {
			leases, started, err = w.leaseStart.LeaseAndStart(context.Background(), params, free, w.store, w.now())
		} else {
			leases, err = w.queue.Lease(context.Background(), params)
		}
		if err != nil {
			unreserve()
			w.release(n)
			if ctx.Err() == nil {
				w.reaper.sawFailure()
			}
			w.log.Warn("lease failed", "queue", queue, "error", err)
			if !sleepCtx(ctx, errDelay) {
				return
			}
			errDelay = min(2*errDelay, 5*time.Second)
			continue
		}
		errDelay = 50 * time.Millisecond
		w.release(n - len(leases))
		if len(leases) == 0 {
			unreserve()
			w.idle(ctx, queue)
			continue
		}
		w.dispatch(queue, leases, started, sent)
		unreserve()
	}
}

// reserveHandlers reserves up to n of the handler slots that no
// dispatched job holds or waits for, for tasks about to be leased and
// started at once, and returns how many it reserved. Reserving is atomic,
// so fetchers of several queues never reserve one slot twice.
func (w *Worker) reserveHandlers(n int) int {
	for {
		cur := w.inflight.Load()
		k := min(int64(n), int64(w.cfg.Concurrency)-cur)
		if k <= 0 {
			return 0
		}
		if w.inflight.CompareAndSwap(cur, cur+k) {
			return int(k)
		}
	}
}

func (w *Worker) release(n int) {
	for range n {
		w.slots <- struct{}{}
	}
}

// dispatch hands the leases to the runners. Their records are marked
// running when their handlers start (see start), not here: a prefetched
// task waiting for a handler slot is not running, and may be given back.
// The exception is started: records LeaseAndStart started with their
// leases, leased only when a handler was free for each.
func (w *Worker) dispatch(queue string, leases []taskq.Lease, started map[string]*taskq.Task, sent time.Time) {
	held := w.held.addAll(queue, leases, sent, sent.Add(w.cfg.LeaseTTL-w.cfg.fenceMargin()))
	w.inflight.Add(int64(len(held)))
	for _, h := range held {
		w.jobs <- job{queue: queue, held: h, started: started[h.lease.ID]}
	}
}

// notStartable acknowledges a lease whose id StartTasks left out: its
// record is terminal (cancelled meanwhile, for example) or missing.
func (w *Worker) notStartable(ctx context.Context, queue string, l taskq.Lease) {
	if _, err := w.store.GetTask(ctx, l.ID); errors.Is(err, taskq.ErrNotFound) {
		w.orphaned(queue, l)
		return
	}
	w.ack(queue, l)
}

// orphaned acknowledges a lease of an id without a record in the storage.
// The queue holds ids only, so such ids usually come from another
// deployment sharing the queue (the same Redis key prefix) with another
// storage.
func (w *Worker) orphaned(queue string, l taskq.Lease) {
	w.log.Warn("leased task has no record in the storage; dropping it (do two deployments share this queue's key prefix?)",
		"task_id", l.ID, "queue", queue)
	w.cfg.Observer.TaskOrphaned(queue)
	w.ack(queue, l)
}

// sleepCtx sleeps for d or until ctx ends; it reports whether ctx is live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
