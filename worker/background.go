package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/taskq/taskq"
)

// every runs fn every d until the worker's background context ends.
func (w *Worker) every(d time.Duration, fn func()) {
	defer w.bgWG.Done()
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-w.bgCtx.Done():
			return
		case <-tick.C:
		}
		fn()
	}
}

// heartbeat extends the leases this worker holds and cancels the handlers
// of leases found lost (cancelled or reaped elsewhere). A successful
// extension renews the leases' validity by this worker's clock, counted
// from the start of the call.
func (w *Worker) heartbeat() {
	for q, leases := range w.held.byQueue() {
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.HeartbeatInterval+5*time.Second)
		sent := time.Now()
		lost, err := w.queue.Extend(ctx, q, leases, w.cfg.LeaseTTL)
		cancel()
		if err != nil {
			w.reaper.sawFailure()
			w.log.Warn("lease heartbeat failed", "queue", q, "count", len(leases), "error", err)
			continue
		}
		w.held.renew(q, leases, sent.Add(w.cfg.LeaseTTL-w.cfg.fenceMargin()))
		for _, l := range lost {
			w.held.lose(q, l, w.lostCause(l.ID))
		}
	}
}

// fence stops the handlers whose leases expired by this worker's clock (no
// heartbeat succeeded in time: the queue may give their tasks to other
// workers), and gives back prefetched leases that waited too long for a
// handler slot or are about to expire.
func (w *Worker) fence() {
	now := time.Now()
	if n := w.held.expire(now); n > 0 {
		w.log.Warn("leases expired by this worker's clock; stopping their handlers, which will record nothing", "count", n)
	}
	back := w.held.handBack(now.Add(-w.cfg.PrefetchWait), now.Add(2*w.cfg.HeartbeatInterval))
	for _, l := range back {
		w.handBackLease(l.queue, l.lease, 0, "prefetched task waited too long for a handler")
	}
}

// checkRecords reads the records of the tasks whose handlers run and
// cancels those whose record is cancelled (cause taskq.ErrTaskCancelled).
// Cancelling a task writes its record and then removes it from the queue,
// which the heartbeat reports as a lost lease; this check stops the
// handler even when the cancelling process crashed between the two.
func (w *Worker) checkRecords() {
	run := w.held.running()
	if len(run) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.HeartbeatInterval+5*time.Second)
	defer cancel()
	work := make(chan heldRef)
	var wg sync.WaitGroup
	for range min(len(run), 4) {
		wg.Go(func() {
			for r := range work {
				t, err := w.store.GetTask(ctx, r.lease.ID)
				if err == nil && t.Status == taskq.StatusCancelled {
					w.held.lose(r.queue, r.lease, taskq.ErrTaskCancelled)
				}
			}
		})
	}
	for _, r := range run {
		work <- r
	}
	close(work)
	wg.Wait()
}

// lostCause tells why the lease of id was lost: taskq.ErrTaskCancelled when
// its record is cancelled (cancelling removes the id from the queue),
// taskq.ErrLeaseLost otherwise (reaped and taken by another worker, or the
// record unreadable). Only lost ids are read, one record each.
func (w *Worker) lostCause(id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t, err := w.store.GetTask(ctx, id)
	if err == nil && t.Status == taskq.StatusCancelled {
		return taskq.ErrTaskCancelled
	}
	return taskq.ErrLeaseLost
}

// reaperState is the reaper's view of the queue backend: whether its last
// call failed, and until when it holds back after the backend came back.
type reaperState struct {
	mu      sync.Mutex
	down    bool      // the last reap call failed
	tick    time.Time // the previous pass (local monotonic clock)
	grace   time.Time // no reaping before this (local monotonic clock)
	outage  bool      // the next pass reaps the leases that expired during an outage
	forgive bool      // the current pass does (see reapAll)
	failed  time.Time // when a heartbeat or lease call last failed (see newTerm)
}

// reapAll takes back expired leases of lost workers on every queue. After
// this worker could not reach the queue backend (its reap calls failed, or
// it did not run for longer than a lease, as in a long pause), it waits
// one LeaseTTL before reaping again: leases that expired during the outage
// belong to holders that could not extend them either, and get that time
// to extend them once the backend is back. The leases the first pass after
// an outage reaps are put back without counting an attempt: their holders
// stopped because of the outage (see Config.MaxClockSkew), not because
// their tasks failed.
//
// Each call checks ctx (the worker's, or its leadership's) first: a pass
// whose leadership ended stops there. A batch already taken is settled
// whatever ctx does: its leases are held with their tokens, so settling
// them is safe even after another worker was elected.
func (w *Worker) reapAll(ctx context.Context) {
	forgive, ok := w.reapReady()
	if !ok {
		return
	}
	w.reaper.mu.Lock()
	w.reaper.forgive = forgive
	w.reaper.mu.Unlock()
	for _, q := range w.cfg.Queues {
		for range reapPassCalls(forgive) {
			if ctx.Err() != nil {
				return
			}
			n, ok := w.reap(ctx, q)
			if !ok {
				return
			}
			if n < reapBatch {
				break
			}
		}
	}
	w.reaper.mu.Lock()
	w.reaper.forgive = false
	w.reaper.mu.Unlock()
}

// reapBatch is the most leases one Reap call takes.
const reapBatch = 256

// reapPassCalls is how many Reap calls one pass makes per queue: the pass
// after an outage takes every lease that expired during it.
func reapPassCalls(forgive bool) int {
	if forgive {
		return 64
	}
	return 1
}

// reapReady reports whether the reaper may reap now, and whether this pass
// is the first after an outage; see reapAll.
func (w *Worker) reapReady() (forgive, ok bool) {
	r := &w.reaper
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !r.tick.IsZero() && now.Sub(r.tick) > w.cfg.LeaseTTL {
		r.down = true // the process was paused for longer than a lease
	}
	r.tick = now
	if r.down {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := w.queue.Ping(ctx)
		cancel()
		if err != nil {
			return false, false
		}
		r.down, r.outage = false, true
		r.grace = time.Now().Add(w.cfg.LeaseTTL)
		w.log.Info("queue backend reachable again; holding reaping back for one lease TTL", "lease_ttl", w.cfg.LeaseTTL)
		return false, false
	}
	if now.Before(r.grace) {
		return false, false
	}
	forgive, r.outage = r.outage, false
	return forgive, true
}

// forgiving reports whether the current reap pass is the first after an
// outage.
func (w *Worker) forgiving() bool {
	w.reaper.mu.Lock()
	defer w.reaper.mu.Unlock()
	return w.reaper.forgive
}

// reaped records the result of a reap call.
func (w *Worker) reaped(err error) {
	if err == nil {
		return
	}
	r := &w.reaper
	r.mu.Lock()
	r.down = true
	r.mu.Unlock()
}

// reap reaps one batch of queue q; it returns how many leases it took,
// and false when the backend failed.
func (w *Worker) reap(parent context.Context, q string) (int, bool) {
	rctx, rcancel := context.WithTimeout(parent, 30*time.Second)
	sent := time.Now()
	leases, err := w.queue.Reap(rctx, q, reapBatch, w.cfg.LeaseTTL)
	rcancel()
	if err != nil && parent.Err() != nil {
		return 0, false // stopped or no longer leader: not a backend failure
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 30*time.Second)
	defer cancel()
	w.reaped(err)
	if err != nil {
		w.log.Warn("reap failed", "queue", q, "error", err)
		return 0, false
	}
	until := sent.Add(w.cfg.LeaseTTL - w.cfg.fenceMargin())
	var running []*attempt
	for _, l := range leases {
		a := &attempt{q: q, lease: l, until: until}
		if !w.recoverLease(ctx, a, false) {
			running = append(running, a)
		}
	}
	if len(running) > 0 {
		// A holder that is alive but could not reach the queue fenced its
		// lease by its own clock before the queue expired it, and gives its
		// task back (giveBackFenced): give it that long once more before
		// counting its attempt as failed.
		time.Sleep(w.cfg.fenceMargin())
		for _, a := range running {
			w.recoverLease(ctx, a, true)
		}
	}
	return len(leases), true
}

// recoverLease settles a reaped lease from its record: a running record
// was lost with its worker and counts as a failed attempt (written under
// the fence of the attempt the record runs); a pending or failed one goes
// back to the queue; a terminal or missing one is done. Before decide is
// set, a running record outside an outage is left alone and false
// returned: the caller asks again a little later (see reap).
func (w *Worker) recoverLease(ctx context.Context, a *attempt, decide bool) bool {
	t, err := w.store.GetTask(ctx, a.lease.ID)
	switch {
	case errors.Is(err, taskq.ErrNotFound):
		w.orphaned(a.q, a.lease)
		return true
	case err != nil:
		w.log.Warn("cannot read reaped task; it will be reaped again", "task_id", a.lease.ID, "error", err)
		return true
	}
	switch t.Status {
	case taskq.StatusRunning:
		if !decide && !w.forgiving() {
			return false
		}
		w.cfg.Observer.TaskRecovered(taskq.RecoveredLeaseExpired)
		a.number = t.Attempts
		if w.forgiving() {
			w.log.Warn("lease expired during a queue backend outage: putting the task back without counting the attempt", "task_id", t.ID, "task_type", t.Type)
			w.putBack(a, t, 0, "lease expired during an outage")
			return true
		}
		w.log.Warn("lease expired: counting a failed attempt", "task_id", t.ID, "task_type", t.Type)
		_, tc, _ := w.handler(t.Type)
		w.fail(a, t, errLeaseExpired, tc, 0)
	case taskq.StatusPending, taskq.StatusFailed:
		if err := w.requeue(a, t, t.RunAt); err != nil {
			w.log.Warn("cannot requeue reaped task", "task_id", t.ID, "error", err)
		}
	default:
		w.ack(a.q, a.lease)
	}
	return true
}

// reconcileAll pushes records that should be queued (pending, failed or
// running, unchanged for ReconcileAfter) again on every queue; Enqueue is
// idempotent, so ids still queued or leased are untouched.
func (w *Worker) reconcileAll(ctx context.Context) {
	for _, q := range w.cfg.Queues {
		if err := w.Reconcile(ctx, q); err != nil && ctx.Err() == nil {
			w.log.Warn("reconcile failed", "queue", q, "error", err)
		}
	}
}

// reconcilePages bounds one reconcile pass.
const reconcilePages = 20

// Reconcile pushes the records of queue q that should be queued and were
// unchanged for Config.ReconcileAfter (idempotently). One pass reads at most
// 20 pages of 1000 records; the next pass continues where it stopped and
// starts over from the newest after the oldest, so every record is visited
// however long the backlog. The worker runs it every
// Config.ReconcileInterval; it is exported for tools and tests.
func (w *Worker) Reconcile(ctx context.Context, q string) error {
	f := taskq.TaskFilter{
		Statuses:      []taskq.TaskStatus{taskq.StatusPending, taskq.StatusFailed, taskq.StatusRunning},
		Queue:         q,
		UpdatedBefore: w.now().Add(-w.cfg.ReconcileAfter),
		Limit:         taskq.MaxPageSize,
		Cursor:        w.loadReconcileCursor(q),
	}
	for range reconcilePages {
		page, err := w.store.ListTasks(ctx, f)
		if err != nil {
			return err
		}
		if len(page.Tasks) > 0 {
			entries := make([]taskq.QueueEntry, len(page.Tasks))
			for i, t := range page.Tasks {
				entries[i] = taskq.QueueEntry{ID: t.ID, Priority: t.Priority, RunAt: t.RunAt, Type: t.Type, Owner: t.Owner}
				if !t.RunAt.After(t.Created) {
					// Enqueued to run at once: ready now by the queue's
					// clock, not at a time read on the producer's.
					entries[i].RunAt = time.Time{}
				}
			}
			if c, ok := w.queue.(taskq.EnqueueCounter); ok {
				added, err := c.EnqueueNew(ctx, q, entries...)
				if err != nil {
					return err
				}
				for range added {
					w.cfg.Observer.TaskRecovered(taskq.RecoveredReconciled)
				}
				if added > 0 {
					w.log.Warn("reconciler pushed records missing from the queue", "queue", q, "count", added)
				}
			} else if err := w.queue.Enqueue(ctx, q, entries...); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			w.saveReconcileCursor(q, "") // the oldest reached: start over next pass
			return nil
		}
		f.Cursor = page.NextCursor
	}
	w.saveReconcileCursor(q, f.Cursor)
	return nil
}

// loadReconcileCursor returns where the next reconcile pass of q starts.
func (w *Worker) loadReconcileCursor(q string) string {
	w.reconcileMu.Lock()
	defer w.reconcileMu.Unlock()
	return w.reconcileAt[q]
}

// saveReconcileCursor records where the next reconcile pass of q starts
// ("" for the newest record).
func (w *Worker) saveReconcileCursor(q, cursor string) {
	w.reconcileMu.Lock()
	defer w.reconcileMu.Unlock()
	if w.reconcileAt == nil {
		w.reconcileAt = map[string]string{}
	}
	if cursor == "" {
		delete(w.reconcileAt, q)
		return
	}
	w.reconcileAt[q] = cursor
}
