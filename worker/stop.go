package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/taskq/taskq"
)

// cancelGrace is how long cancelled handlers have to return before their
// tasks are given back without them.
const cancelGrace = 100 * time.Millisecond

// giveBackTimeout bounds reading the records of abandoned tasks at shutdown.
const giveBackTimeout = 5 * time.Second

// Stop stops leasing and waits for running handlers until ctx ends. Then it
// cancels them (context.Cause is taskq.ErrShutdown); the tasks of those
// that return within 100ms are put back to pending without counting the
// attempt, and so are those of handlers still running after that, which
// are abandoned: whatever they return later is dropped (it neither
// overwrites the task's record nor acknowledges its new lease). So Stop
// returns about 100ms after ctx ends, plus the writes that give the tasks
// back; it returns ctx.Err() when handlers had to be cancelled. An
// abandoned handler goroutine runs on until it returns: make handlers
// honour their context. Stop is idempotent and may be called before Start.
func (w *Worker) Stop(ctx context.Context) error { return w.stop(ctx, false) }

// StopAndCancel stops at once: it stops leasing, cancels the running
// handlers (context.Cause is taskq.ErrShutdown) without waiting for them
// to finish, and gives their tasks back as Stop does after its ctx ends. ctx
// bounds the wait of a concurrent Stop only.
func (w *Worker) StopAndCancel(ctx context.Context) error { return w.stop(ctx, true) }

func (w *Worker) stop(ctx context.Context, cancelNow bool) error {
	w.lifeMu.Lock()
	if !w.started || w.stopping {
		started := w.started
		w.stopping = true
		w.lifeMu.Unlock()
		if !started {
			w.stopOnce.Do(func() { close(w.stopped) })
			return nil
		}
		select {
		case <-w.stopped:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	w.stopping = true
	w.lifeMu.Unlock()

	w.stopFetch(taskq.ErrShutdown)
	w.fetchWG.Wait() // fetchers hand every leased task to a runner or back
	close(w.jobs)

	done := make(chan struct{})
	go func() { w.runWG.Wait(); close(done) }()
	var err error
	if !cancelNow {
		select {
		case <-done:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	select {
	case <-done:
	default:
		w.log.Warn("cancelling running handlers and giving their tasks back")
		w.held.killAll(taskq.ErrShutdown)
		grace := time.NewTimer(cancelGrace)
		select {
		case <-done:
		case <-grace.C:
			w.abandon()
		}
		grace.Stop()
	}
	w.held.recording.Wait()
	w.stopBg()
	w.bgWG.Wait()
	close(w.acks)
	w.ackWG.Wait()
	w.stopOnce.Do(func() { close(w.stopped) })
	w.log.Info("worker stopped")
	return err
}

// abandon takes the leases of handlers that did not return in time, and
// of tasks not started, from their runners and gives the tasks back.
func (w *Worker) abandon() {
	leases := w.held.abandonAll()
	if len(leases) == 0 {
		return
	}
	w.log.Warn("handlers ignored their cancelled context; abandoning them and giving their tasks back", "count", len(leases))
	ctx, cancel := context.WithTimeout(context.Background(), giveBackTimeout)
	defer cancel()
	work := make(chan abandoned)
	var wg sync.WaitGroup
	for range min(len(leases), 8) {
		wg.Go(func() {
			for l := range work {
				w.giveBack(ctx, l)
			}
		})
	}
	for _, l := range leases {
		work <- l
	}
	close(work)
	wg.Wait()
}

// giveBack returns the task of an abandoned lease to the queue: a lease
// whose task was not started goes back as it is; a started one goes back
// to pending without counting the attempt, if its record still runs that
// attempt (fenced, as every outcome write). A terminal or missing record
// is done.
func (w *Worker) giveBack(ctx context.Context, l abandoned) {
	if l.attempt == 0 {
		w.handBackLease(l.queue, l.lease, 0, "worker stopped")
		return
	}
	t, err := w.store.GetTask(ctx, l.lease.ID)
	switch {
	case errors.Is(err, taskq.ErrNotFound):
		w.ack(l.queue, l.lease)
		return
	case err != nil:
		w.log.Warn("cannot read an abandoned task; its lease will expire and count a failed attempt", "task_id", l.lease.ID, "error", err)
		return
	}
	a := &attempt{q: l.queue, lease: l.lease, number: l.attempt, until: time.Now().Add(giveBackTimeout)}
	switch t.Status {
	case taskq.StatusRunning:
		w.putBack(a, t, 0, "worker stopped; its handler was abandoned")
	case taskq.StatusPending, taskq.StatusFailed:
		if err := w.requeue(a, t, t.RunAt); err != nil {
			w.log.Warn("cannot requeue an abandoned task; the reaper will", "task_id", t.ID, "error", err)
		}
	default:
		w.ack(l.queue, l.lease)
	}
}
