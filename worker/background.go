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
	mu     sync.Mutex
	down   bool      // the last reap call failed
	lastOK time.Time // the last successful call (local monotonic clock)
	grace  time.Time // no reaping before this (local monotonic clock)
}

// reapAll takes back expired leases of lost workers on every queue. After
// this worker could not reach the queue backend (its reap calls failed, or
// it did not run for longer than a lease, as in a long pause), it waits
// one LeaseTTL before reaping again: leases that expired during the outage
// belong to holders that could not extend them either, and get that time
// to extend them once the backend is back.
func (w *Worker) reapAll() {
	if !w.reapReady() {
		return
	}
	for _, q := range w.cfg.Queues {
		if !w.reap(q) {
			return
		}
	}
}

// reapReady reports whether the reaper may reap now; see reapAll.
func (w *Worker) reapReady() bool {
	r := &w.reaper
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !r.lastOK.IsZero() && now.Sub(r.lastOK) > w.cfg.LeaseTTL {
		r.down = true // paused, or every call failed for a lease's time
	}
	if r.down {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := w.queue.Ping(ctx)
		cancel()
		if err != nil {
			return false
		}
		r.down, r.lastOK = false, time.Now()
		r.grace = r.lastOK.Add(w.cfg.LeaseTTL)
		w.log.Info("queue backend reachable again; holding reaping back for one lease TTL", "until", w.cfg.LeaseTTL)
		return false
	}
	return !now.Before(r.grace)
}

// reaped records the result of a reap call.
func (w *Worker) reaped(err error) {
	r := &w.reaper
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.down = true
		return
	}
	r.lastOK = time.Now()
}

// reap reaps one queue; it reports false when the backend failed.
func (w *Worker) reap(q string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sent := time.Now()
	leases, err := w.queue.Reap(ctx, q, 256, w.cfg.LeaseTTL)
	w.reaped(err)
	if err != nil {
		w.log.Warn("reap failed", "queue", q, "error", err)
		return false
	}
	until := sent.Add(w.cfg.LeaseTTL - w.cfg.fenceMargin())
	for _, l := range leases {
		w.recoverLease(ctx, &attempt{q: q, lease: l, until: until})
	}
	return true
}

// recoverLease settles a reaped lease from its record: a running record
// was lost with its worker and counts as a failed attempt (written under
// the fence of the attempt the record runs); a pending or failed one goes
// back to the queue; a terminal or missing one is done.
func (w *Worker) recoverLease(ctx context.Context, a *attempt) {
	t, err := w.store.GetTask(ctx, a.lease.ID)
	switch {
	case errors.Is(err, taskq.ErrNotFound):
		w.orphaned(a.q, a.lease)
		return
	case err != nil:
		w.log.Warn("cannot read reaped task; it will be reaped again", "task_id", a.lease.ID, "error", err)
		return
	}
	switch t.Status {
	case taskq.StatusRunning:
		w.log.Warn("lease expired: counting a failed attempt", "task_id", t.ID, "task_type", t.Type)
		w.cfg.Observer.TaskRecovered(taskq.RecoveredLeaseExpired)
		_, tc, _ := w.handler(t.Type)
		a.number = t.Attempts
		w.fail(a, t, errLeaseExpired, tc, 0)
	case taskq.StatusPending, taskq.StatusFailed:
		if err := w.requeue(a, t, t.RunAt); err != nil {
			w.log.Warn("cannot requeue reaped task", "task_id", t.ID, "error", err)
		}
	default:
		w.ack(a.q, a.lease)
	}
}

// reconcileAll pushes records that should be queued (pending, failed or
// running, unchanged for ReconcileAfter) again on every queue; Enqueue is
// idempotent, so ids still queued or leased are untouched.
func (w *Worker) reconcileAll() {
	for _, q := range w.cfg.Queues {
		if err := w.Reconcile(w.bgCtx, q); err != nil && w.bgCtx.Err() == nil {
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
				entries[i] = taskq.QueueEntry{ID: t.ID, Priority: t.Priority, RunAt: t.RunAt}
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
