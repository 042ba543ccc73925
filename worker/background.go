package worker

import (
	"context"
	"errors"
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
// of leases found lost (cancelled or reaped elsewhere).
func (w *Worker) heartbeat() {
	for q, ids := range w.held.byQueue() {
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.HeartbeatInterval+5*time.Second)
		lost, err := w.queue.Extend(ctx, q, ids, w.cfg.LeaseTTL)
		cancel()
		if err != nil {
			w.log.Warn("lease heartbeat failed", "queue", q, "count", len(ids), "error", err)
			continue
		}
		for _, id := range lost {
			w.held.lose(id, w.lostCause(id))
		}
	}
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

// reapAll takes back expired leases of lost workers on every queue.
func (w *Worker) reapAll() {
	for _, q := range w.cfg.Queues {
		w.reap(q)
	}
}

func (w *Worker) reap(q string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	leases, err := w.queue.Reap(ctx, q, 256, w.cfg.LeaseTTL)
	if err != nil {
		w.log.Warn("reap failed", "queue", q, "error", err)
		return
	}
	for _, l := range leases {
		w.recoverLease(ctx, q, l)
	}
}

// recoverLease settles a reaped lease from its record: a running record
// was lost with its worker and counts as a failed attempt; a pending or
// failed one goes back to the queue; a terminal or missing one is done.
func (w *Worker) recoverLease(ctx context.Context, q string, l taskq.Lease) {
	t, err := w.store.GetTask(ctx, l.ID)
	switch {
	case errors.Is(err, taskq.ErrNotFound):
		w.orphaned(q, l.ID)
		return
	case err != nil:
		w.log.Warn("cannot read reaped task; it will be reaped again", "task_id", l.ID, "error", err)
		return
	}
	switch t.Status {
	case taskq.StatusRunning:
		w.log.Warn("lease expired: counting a failed attempt", "task_id", t.ID, "task_type", t.Type)
		w.cfg.Observer.TaskRecovered(taskq.RecoveredLeaseExpired)
		_, tc, _ := w.handler(t.Type)
		w.fail(q, t, errLeaseExpired, tc, 0)
	case taskq.StatusPending, taskq.StatusFailed:
		if err := w.queue.Requeue(ctx, q, taskq.QueueEntry{ID: t.ID, Priority: t.Priority, RunAt: t.RunAt}); err != nil {
			w.log.Warn("cannot requeue reaped task", "task_id", t.ID, "error", err)
		}
	default:
		w.ack(q, t.ID)
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
