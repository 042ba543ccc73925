package worker

import (
	"context"
	"sync"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/leader"
)

// runMaintenance runs the maintenance loops until the worker stops: always
// without Config.Elector, else while the worker leads.
func (w *Worker) runMaintenance() {
	defer w.bgWG.Done()
	if w.cfg.Elector == nil {
		w.maintain(w.bgCtx, false)
		return
	}
	err := w.cfg.Elector.Run(w.bgCtx, func(ctx context.Context, term leader.Term) {
		w.log.Info("elected to run maintenance", "token", term.Token, "holder", term.Holder)
		w.maintain(ctx, true)
		w.log.Info("maintenance leadership ended", "token", term.Token)
	})
	if err != nil {
		w.log.Error("maintenance election failed; this worker runs no maintenance", "error", err)
	}
}

// maintain runs the reaper, the reconciler, the retention of finished
// tasks, the cleanup of the worker's own dead letter queue and
// Config.Maintenance until ctx ends (the worker stops or, when elected,
// leadership ends), and waits for them. A newly elected worker reaps and
// deletes at once instead of one interval later, so a failover does not
// add an interval. Every loop checks ctx between its calls: a pass whose
// leadership ended stops before its next call, and what it did is safe
// to have done twice (a reaped lease is fenced by its token, Enqueue of
// the reconciler is idempotent, deleting deleted records does nothing).
func (w *Worker) maintain(ctx context.Context, elected bool) {
	if elected {
		w.reaper.newTerm(w.cfg.LeaseTTL)
	}
	var wg sync.WaitGroup
	wg.Go(func() { loopEvery(ctx, w.cfg.ReapInterval, elected, w.reapAll) })
	if w.cfg.ReconcileInterval > 0 {
		wg.Go(func() { loopEvery(ctx, w.cfg.ReconcileInterval, false, w.reconcileAll) })
	}
	if fd, ok := w.store.(taskq.FinishedDeleter); ok && w.cfg.TaskRetention > 0 {
		wg.Go(func() {
			loopEvery(ctx, w.cfg.RetentionInterval, elected, func(ctx context.Context) { w.deleteFinished(ctx, fd) })
		})
	}
	if w.ownDLQ != nil {
		wg.Go(func() { w.ownDLQ.RunCleanup(ctx) })
	}
	if w.cfg.Maintenance != nil {
		wg.Go(func() { w.cfg.Maintenance(ctx) })
	}
	wg.Wait()
}

// loopEvery runs fn every d until ctx ends, first at once when now is set.
func loopEvery(ctx context.Context, d time.Duration, now bool, fn func(context.Context)) {
	if now && ctx.Err() == nil {
		fn(ctx)
	}
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		fn(ctx)
	}
}

// retentionBatch is how many finished records one DeleteFinished call
// deletes at most.
const retentionBatch = 1000

// deleteFinished deletes the records finished more than TaskRetention
// ago, in batches, until none is left or ctx ends.
func (w *Worker) deleteFinished(ctx context.Context, fd taskq.FinishedDeleter) {
	before := w.now().Add(-w.cfg.TaskRetention)
	o, _ := w.cfg.Observer.(taskq.RetentionObserver)
	total := 0
	for ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		n, err := fd.DeleteFinished(cctx, before, retentionBatch)
		cancel()
		total += n
		if o != nil && n > 0 {
			o.FinishedDeleted(n)
		}
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("deleting finished tasks failed", "error", err)
			}
			break
		}
		if n < retentionBatch {
			break
		}
	}
	if total == 0 {
		return
	}
	w.log.Info("deleted finished tasks past their retention", "count", total, "retention", w.cfg.TaskRetention)
}

// newTerm readies the reaper for a term of leadership. The previous pass
// of this worker may be long ago: that is no pause of the process. A
// failure of the queue backend this worker saw within the last lease TTL
// (a heartbeat or a lease call) counts as an outage, as if its own reaper
// had seen it: the holders of the leases that expired meanwhile get one
// lease TTL to extend them, and those reaped after it are put back
// without counting an attempt.
func (r *reaperState) newTerm(leaseTTL time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tick = time.Time{}
	if !r.failed.IsZero() && time.Since(r.failed) < leaseTTL {
		r.down = true
	}
}

// sawFailure records a failed call to the queue backend outside the
// reaper (see newTerm).
func (r *reaperState) sawFailure() {
	r.mu.Lock()
	r.failed = time.Now()
	r.mu.Unlock()
}
