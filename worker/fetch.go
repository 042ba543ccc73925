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
		// The lease call is not tied to ctx: a lease granted by the server
		// but lost to a cancelled call would wait for the reaper. The
		// backends bound the call's time. The leases are valid from the
		// start of the call, by this worker's clock.
		sent := time.Now()
		leases, err := w.queue.Lease(context.Background(), taskq.LeaseParams{
			Queue: queue, Max: n, TTL: w.cfg.LeaseTTL, Weights: w.cfg.Weights,
			Limits: w.cfg.Limits,
		})
		if err != nil {
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
			w.idle(ctx, queue)
			continue
		}
		w.dispatch(queue, leases, sent)
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
func (w *Worker) dispatch(queue string, leases []taskq.Lease, sent time.Time) {
	held := w.held.addAll(queue, leases, sent, sent.Add(w.cfg.LeaseTTL-w.cfg.fenceMargin()))
	for _, h := range held {
		w.jobs <- job{queue: queue, held: h}
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
