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
	byID := map[string]*taskq.Task{} // reused by dispatch
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
		// backends bound the call's time.
		leases, err := w.queue.Lease(context.Background(), taskq.LeaseParams{
			Queue: queue, Max: n, TTL: w.cfg.LeaseTTL, Weights: w.cfg.Weights,
		})
		if err != nil {
			w.release(n)
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
			_ = w.queue.Wait(ctx, queue, w.cfg.PollInterval)
			continue
		}
		w.dispatch(queue, leases, byID)
	}
}

func (w *Worker) release(n int) {
	for range n {
		w.slots <- struct{}{}
	}
}

// dispatch marks the leased records running in one storage call and sends
// the startable ones to the runners; the rest are acknowledged (their
// records are terminal, or missing: see orphaned).
func (w *Worker) dispatch(queue string, leases []taskq.Lease, byID map[string]*taskq.Task) {
	ids := make([]string, len(leases))
	for i, l := range leases {
		ids[i] = l.ID
	}
	held := w.held.addAll(queue, ids)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tasks, err := w.store.StartTasks(ctx, ids, w.now())
	if err != nil {
		// Storage is down: give the leases back shortly, without an attempt.
		w.log.Warn("cannot mark tasks running; giving leases back", "queue", queue, "error", err)
		runAt := w.now().Add(time.Second)
		for i, l := range leases {
			if rerr := w.queue.Requeue(ctx, queue, taskq.QueueEntry{ID: l.ID, Priority: l.Priority, RunAt: runAt}); rerr != nil {
				w.log.Warn("requeue failed; the lease will expire", "task_id", l.ID, "error", rerr)
			}
			w.held.remove(l.ID, held[i])
		}
		w.release(len(leases))
		sleepCtx(w.fetchCtx, time.Second)
		return
	}
	clear(byID)
	for _, t := range tasks {
		byID[t.ID] = t
	}
	for i, l := range leases {
		t, ok := byID[l.ID]
		if !ok {
			w.held.remove(l.ID, held[i])
			w.notStartable(ctx, queue, l.ID)
			w.release(1)
			continue
		}
		w.jobs <- job{task: t, lease: l, queue: queue, held: held[i]}
	}
}

// notStartable acknowledges a leased id that StartTasks left out: its
// record is terminal (cancelled meanwhile, for example) or missing.
func (w *Worker) notStartable(ctx context.Context, queue, id string) {
	if _, err := w.store.GetTask(ctx, id); errors.Is(err, taskq.ErrNotFound) {
		w.orphaned(queue, id)
		return
	}
	w.ack(queue, id)
}

// orphaned acknowledges a leased id without a record in the storage. The
// queue holds ids only, so such ids usually come from another deployment
// sharing the queue (the same Redis key prefix) with another storage.
func (w *Worker) orphaned(queue, id string) {
	w.log.Warn("leased task has no record in the storage; dropping it (do two deployments share this queue's key prefix?)",
		"task_id", id, "queue", queue)
	w.cfg.Observer.TaskOrphaned(queue)
	w.ack(queue, id)
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
