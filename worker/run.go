package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/taskq/taskq"
)

// Causes of a handler context's end, told apart with context.Cause.
var (
	errAttemptTimeout = &taskq.Error{Code: taskq.CodeTaskTimeout, Message: "attempt timed out", Retryable: true}
	errDeadline       = &taskq.Error{Code: taskq.CodeTaskTimeout, Message: "task deadline passed"}
	errLeaseExpired   = &taskq.Error{Code: taskq.CodeTaskExecutionFailed, Message: "lease expired: the worker running the task was lost", Retryable: true}
)

// runLoop runs jobs until the jobs channel closes. A handler slot (taken
// by the fetcher) is given back as soon as the handler returns; the runner
// then records the outcome (durable writes that may wait for a group
// commit) while other runners take the next jobs. There are more runners
// than slots, so recording never holds a handler back.
func (w *Worker) runLoop() {
	defer w.runWG.Done()
	rc := &runnerCtx{}
	for {
		// Take a handler token first, then the next job: with one token
		// (Concurrency 1) jobs run in exactly the order they were leased.
		w.running <- struct{}{}
		j, ok := <-w.jobs
		if !ok {
			<-w.running
			return
		}
		o := w.start(j)
		ctx, endSpan := context.Background(), func(taskq.Outcome, error) {}
		if o.kind == outRun {
			if w.cfg.Tracer != nil {
				ctx, endSpan = w.cfg.Tracer.StartAttempt(ctx, o.t)
			}
			o = w.execute(ctx, rc, j, o.a, o.t)
		}
		w.inflight.Add(-1)
		<-w.running
		w.slots <- struct{}{}
		if !w.held.claim(j.held) {
			endSpan(outcomeGivenBack, nil)
			continue // given back: the outcome is dropped
		}
		w.finish(ctx, o)
		endSpan(o.traced(), o.err)
		w.held.remove(j.held)
		w.held.recorded()
	}
}

type outcomeKind uint8

const (
	outRun outcomeKind = iota // started: run the handler
	outComplete
	outFail
	outDeadLetter
	outPutBack
	outLeaseLost
	outCancelled
	outUnhandled
	outHandBack // not started: give the lease back, the record untouched
	outNone     // nothing to record
)

// attempt names one attempt: the lease it runs under (whose token fences
// the queue calls) and the attempt number its record got when it started
// (which fences the storage writes).
type attempt struct {
	q      string
	lease  taskq.Lease
	number int
	held   *heldLease // nil for the reaper's attempts
	until  time.Time  // the reaper's lease validity (held == nil)
	// span is the context of the attempt's span, when traced: its outcome
	// writes are its children. It is never cancelled.
	span context.Context
}

// writeCtx is the context of the attempt's outcome writes: not tied to the
// handler's context (which may be cancelled), but carrying the attempt's
// span when traced.
func (a *attempt) writeCtx() context.Context {
	if a.span != nil {
		return a.span
	}
	return context.Background()
}

// valid is when the attempt's lease expires by this worker's clock.
func (w *Worker) valid(a *attempt) time.Time {
	if a.held != nil {
		return w.held.validUntil(a.held)
	}
	return a.until
}

// outcome is how one attempt ended, to be recorded by its runner once the
// handler slot is given back.
type outcome struct {
	kind  outcomeKind
	a     *attempt
	t     *taskq.Task
	res   any
	err   error
	tc    TypeConfig
	dur   time.Duration
	delay time.Duration
	why   string
}

// Outcomes of an attempt's span besides taskq's own.
const (
	outcomeGivenBack = taskq.Outcome("given_back")
	outcomeLeaseLost = taskq.Outcome("lease_lost")
	outcomeUnhandled = taskq.Outcome("unhandled")
)

// traced names the outcome for the attempt's span (a failure's retry or
// dead letter is decided while recording; "failed" covers both).
func (o outcome) traced() taskq.Outcome {
	switch o.kind {
	case outComplete:
		return taskq.OutcomeCompleted
	case outFail:
		return taskq.OutcomeRetry
	case outDeadLetter:
		return taskq.OutcomeDeadLetter
	case outPutBack:
		return taskq.OutcomeRescheduled
	case outLeaseLost:
		return outcomeLeaseLost
	case outCancelled:
		return taskq.OutcomeCancelled
	case outHandBack, outNone:
		return outcomeGivenBack
	}
	return outcomeUnhandled
}

// finish records the outcome o; ctx carries the attempt's span, if any.
func (w *Worker) finish(ctx context.Context, o outcome) {
	if o.a != nil {
		o.a.span = ctx
	}
	switch o.kind {
	case outComplete:
		w.complete(o.a, o.t, o.res, o.tc, o.dur)
	case outFail:
		w.fail(o.a, o.t, o.err, o.tc, o.dur)
	case outDeadLetter:
		w.deadLetter(o.a, o.t, o.err, o.dur)
	case outPutBack:
		w.putBack(o.a, o.t, o.delay, o.why)
	case outLeaseLost:
		w.afterLeaseLost(o.a, o.t)
	case outCancelled:
		w.cancelled(o.a, o.t)
	case outUnhandled:
		w.unhandled(o.a, o.t)
	case outHandBack:
		w.handBackLease(o.a.q, o.a.lease, o.delay, o.why)
	}
}

// start marks the record of a job running as its handler is about to
// start, unless the lease was lost, expired or given back meanwhile. The
// starter batches the starts of concurrent runners.
func (w *Worker) start(j job) outcome {
	a := &attempt{q: j.queue, lease: j.held.lease, held: j.held}
	o := outcome{a: a}
	if why := w.held.begin(j.held); why != nil {
		if errors.Is(why, taskq.ErrShutdown) {
			o.kind, o.why = outHandBack, "worker shutting down"
			return o
		}
		o.kind = outNone // lost, expired or given back: the record was never touched
		return o
	}
	if t := j.started; t != nil {
		// Started with its lease (LeaseAndStart). Had begin refused, the
		// record would stay running until the task is leased and started
		// again (running is startable): rare, since such a lease is taken
		// only for a free handler.
		a.number = t.Attempts
		w.held.started(j.held, t.Attempts)
		o.kind, o.t = outRun, t
		return o
	}
	c := w.starter.start(j.held)
	if why := c.refused; why != nil {
		// Lost, expired or given back while waiting for its batch: the
		// record was not touched.
		if errors.Is(why, taskq.ErrShutdown) {
			o.kind, o.why = outHandBack, "worker shutting down"
			return o
		}
		o.kind = outNone
		return o
	}
	if err := c.err; err != nil {
		// Storage is down: give the lease back shortly, without an attempt.
		w.log.Warn("cannot mark task running; giving its lease back", "task_id", a.lease.ID, "queue", a.q, "error", err)
		o.kind, o.delay, o.why = outHandBack, time.Second, "storage unavailable"
		return o
	}
	t := c.task
	if t == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		w.notStartable(ctx, a.q, a.lease)
		o.kind = outNone
		return o
	}
	a.number = t.Attempts
	w.held.started(j.held, t.Attempts)
	o.kind, o.t = outRun, t
	return o
}

// execute runs one leased, started task and says how it ended. The
// handler's context derives from parent (which carries the attempt's span
// when tracing).
func (w *Worker) execute(parent context.Context, rc *runnerCtx, j job, a *attempt, t *taskq.Task) outcome {
	o := outcome{a: a, t: t}
	now := w.now()
	if t.Deadline != nil && !now.Before(*t.Deadline) {
		o.kind, o.err = outDeadLetter, errDeadline
		return o
	}
	h, tc, ok := w.handler(t.Type)
	o.tc = tc
	if !ok {
		o.kind = outUnhandled
		return o
	}
	if w.cfg.Breakers != nil && len(tc.Dependencies) > 0 {
		var wait time.Duration
		blocked := false
		for _, dep := range tc.Dependencies {
			if allowed, after := w.cfg.Breakers.Allow(dep); !allowed {
				blocked, wait = true, max(wait, after)
			}
		}
		if blocked {
			o.kind, o.delay, o.why = outPutBack, max(wait, 100*time.Millisecond), "circuit breaker open"
			return o
		}
	}
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = tc.Timeout
	}
	if timeout <= 0 {
		timeout = w.cfg.DefaultTimeout
	}
	ctx, cancel := rc.begin(parent)
	defer rc.done(cancel)
	// One timer for whichever comes first: the attempt timeout or the
	// task's deadline.
	end, endCause := time.Now().Add(timeout), error(errAttemptTimeout)
	if t.Deadline != nil && t.Deadline.Before(end) {
		end, endCause = *t.Deadline, errDeadline
	}
	ctx, cancelTimer := context.WithDeadlineCause(ctx, end, endCause)
	defer cancelTimer()
	if why := w.held.setCancel(j.held, cancel); why != nil {
		o.kind, o.why = notStarted(why), "worker shutting down"
		return o
	}
	pr := w.newProgress(t, a)
	if pr != nil {
		ctx = taskq.ContextWithProgress(ctx, pr.report)
	}
	start := time.Now()
	if w.startObs != nil {
		w.startObs.TaskStarted(a.q, max(start.Sub(t.RunAt), 0))
	}
	res, err := w.call(ctx, h, t)
	if pr != nil {
		pr.close() // the last report is written before the outcome
	}
	o.dur = time.Since(start)
	cause := context.Cause(ctx)

	if err == nil {
		o.kind, o.res = outComplete, res
		return o
	}
	if d, ok := taskq.SnoozeDuration(err); ok {
		o.kind, o.delay, o.why = outPutBack, d, "snoozed by the handler"
		return o
	}
	if w.cfg.Breakers != nil {
		if d, ok := w.cfg.Breakers.OpenError(err); ok {
			o.kind, o.delay, o.why = outPutBack, max(d, 100*time.Millisecond), "circuit breaker open"
			return o
		}
	}
	switch {
	case errors.Is(cause, taskq.ErrShutdown):
		o.kind, o.why = outPutBack, "worker shutting down"
		return o
	case cause == taskq.ErrTaskCancelled:
		o.kind = outCancelled
		return o
	case errors.Is(cause, taskq.ErrLeaseLost):
		o.kind = outLeaseLost
		return o
	case cause == errDeadline:
		err = &taskq.Error{Code: taskq.CodeTaskTimeout, Message: errDeadline.Message, Err: err}
	case cause == errAttemptTimeout:
		err = &taskq.Error{Code: taskq.CodeTaskTimeout, Message: fmt.Sprintf("attempt timed out after %s", timeout), Retryable: true, Err: err}
	}
	o.kind, o.err = outFail, err
	return o
}

// notStarted says how a started job whose handler may not start (see
// heldSet.setCancel) ends: a cancelled task is settled, a shut down worker
// gives the task back, a lost lease is someone else's.
func notStarted(why error) outcomeKind {
	switch {
	case why == taskq.ErrTaskCancelled:
		return outCancelled
	case errors.Is(why, taskq.ErrShutdown):
		return outPutBack
	}
	return outLeaseLost // lost, expired, or abandoned (its outcome is dropped)
}

// call runs the handler, turning a panic into a retryable failure.
func (w *Worker) call(ctx context.Context, h taskq.Handler, t *taskq.Task) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("handler panicked", "task_id", t.ID, "task_type", t.Type, "panic", r, "stack", string(debug.Stack()))
			err = &taskq.Error{Code: taskq.CodeTaskExecutionFailed, Message: fmt.Sprintf("handler panicked: %v", r), Retryable: true}
		}
	}()
	return h.ProcessTask(ctx, t)
}

// encodeResult encodes a handler's result as JSON. A result no storage can
// hold is an error: one with NUL (\u0000) in a string, which PostgreSQL's
// jsonb refuses (every storage refuses it, so that a result behaves the
// same everywhere).
func encodeResult(res any) (json.RawMessage, error) {
	b, err := encodeResultJSON(res)
	if err == nil && hasNUL(b) {
		return nil, errors.New("result contains NUL (\\u0000) in a string, which cannot be stored")
	}
	return b, err
}

// hasNUL reports whether a string (key or value) of the JSON b holds NUL.
func hasNUL(b []byte) bool {
	if !bytes.Contains(b, []byte(`\u0000`)) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return true
		}
	}
}

func encodeResultJSON(res any) (json.RawMessage, error) {
	switch v := res.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		if !json.Valid(v) {
			return nil, errors.New("result is not valid JSON")
		}
		return v, nil
	case []byte:
		if !json.Valid(v) {
			return nil, errors.New("result is not valid JSON")
		}
		return json.RawMessage(v), nil
	}
	return json.Marshal(res)
}

// Outcome writes use attempt.writeCtx: they are not tied to the handler's
// context (which may be cancelled), but are children of the attempt's
// span when traced. They are fenced: the record
// is written only while it runs this attempt (UpdateAttempt, and the DLQ
// move of a running record), and the queue calls name the attempt's lease
// token, so an attempt whose lease was reaped and given to another worker
// changes nothing. A write that finds storage unavailable is retried (see
// write) rather than left for the lease to expire.

// Bounds of the retries of an outcome write while storage is unavailable.
const (
	writeRetryMin = 50 * time.Millisecond
	writeRetryMax = time.Second
)

// errLeaseGone says an outcome write was given up because the attempt's
// lease expired by this worker's clock: another worker may own the task.
var errLeaseGone = errors.New("lease expired by this worker's clock while storage was unavailable")

// write runs an outcome write of attempt a, retrying it while storage is
// unavailable as long as the attempt's lease is valid by this worker's
// clock (the heartbeat keeps extending it), for at most writeRetryFor (one
// LeaseTTL once the worker is stopping): a storage outage delays the
// outcome instead of turning it into a lease expiry and a repeated
// attempt. It returns errLeaseGone, having written nothing more, once the
// lease is no longer surely ours.
func (w *Worker) write(a *attempt, op func(ctx context.Context) error) error {
	delay := writeRetryMin
	var first time.Time
	for {
		if !time.Now().Before(w.valid(a)) {
			return errLeaseGone
		}
		err := op(a.writeCtx())
		if err == nil || !errors.Is(err, taskq.ErrUnavailable) {
			return err
		}
		now := time.Now()
		if first.IsZero() {
			first = now
			w.log.Warn("storage unavailable while recording a task outcome; retrying while the lease holds", "task_id", a.lease.ID, "error", err)
		}
		if d := now.Sub(first); d >= w.writeRetryFor() || d >= w.cfg.LeaseTTL && w.stoppingNow() {
			return err
		}
		time.Sleep(min(delay, max(time.Until(w.valid(a)), time.Millisecond)))
		delay = min(2*delay, writeRetryMax)
	}
}

// writeRetryFor bounds the retries of one outcome write.
func (w *Worker) writeRetryFor() time.Duration { return max(10*w.cfg.LeaseTTL, time.Minute) }

// stoppingNow reports whether Stop began.
func (w *Worker) stoppingNow() bool { return w.fetchCtx != nil && w.fetchCtx.Err() != nil }

// updateAttempt writes t as the outcome of attempt a (see write).
func (w *Worker) updateAttempt(a *attempt, t *taskq.Task) error {
	return w.write(a, func(ctx context.Context) error { return w.store.UpdateAttempt(ctx, t, a.number) })
}

// requeue gives the attempt's lease back to the queue, to run at runAt.
// The queue acts only while the lease is still the attempt's.
func (w *Worker) requeue(a *attempt, t *taskq.Task, runAt time.Time) error {
	return w.queue.Requeue(a.writeCtx(), a.q, taskq.QueueEntry{ID: t.ID, Priority: t.Priority, RunAt: runAt, Token: a.lease.Token, Type: t.Type, Owner: t.Owner})
}

// complete records a success and acknowledges the lease.
func (w *Worker) complete(a *attempt, t *taskq.Task, res any, tc TypeConfig, dur time.Duration) {
	b, err := encodeResult(res)
	if err != nil {
		w.fail(a, t, taskq.Permanent(fmt.Errorf("cannot store result: %w", err)), tc, dur)
		return
	}
	now := w.now()
	t.Status = taskq.StatusCompleted
	t.Result = b
	t.Error = nil
	t.CompletedAt = &now
	t.Updated = now
	if err := w.updateAttempt(a, t); err != nil {
		if w.settled(a, err) {
			w.finished(a.q, t, taskq.OutcomeCancelled, nil, dur)
		}
		return
	}
	if !w.finishRemovesEntry {
		w.ack(a.q, a.lease)
	}
	w.finished(a.q, t, taskq.OutcomeCompleted, nil, dur)
}

// settled handles a failed fenced write. When the record is gone or
// terminal (cancelled meanwhile) the lease is acknowledged (if still
// ours) and true returned. When it moved on otherwise (the lease was
// reaped and the task rescheduled, perhaps started by another worker) it
// is left alone. When storage failed, or the lease expired by this
// worker's clock, the lease is left to expire and false returned.
func (w *Worker) settled(a *attempt, err error) bool {
	if errors.Is(err, taskq.ErrNotFound) {
		w.ack(a.q, a.lease)
		return true
	}
	if errors.Is(err, taskq.ErrConflict) {
		ctx := context.Background()
		cur, gerr := w.store.GetTask(ctx, a.lease.ID)
		if errors.Is(gerr, taskq.ErrNotFound) || gerr == nil && cur.Status.Terminal() {
			w.ack(a.q, a.lease)
			return cur == nil || cur.Status == taskq.StatusCancelled
		}
		w.log.Info("task outcome not recorded: a newer attempt owns the task", "task_id", a.lease.ID, "attempt", a.number)
		return false
	}
	if errors.Is(err, errLeaseGone) {
		w.log.Warn("task outcome dropped: its lease expired by this worker's clock; the task will run again", "task_id", a.lease.ID)
		ctx, cancel := context.WithTimeout(context.Background(), giveBackTimeout)
		defer cancel()
		if cur, gerr := w.store.GetTask(ctx, a.lease.ID); gerr == nil {
			w.giveBackFenced(ctx, a, cur)
		}
		return false
	}
	w.log.Warn("cannot record task outcome; its lease will expire and it will run again", "task_id", a.lease.ID, "error", err)
	return false
}

// fail records a failed attempt: a retry with backoff while retries remain
// and the error is retryable, the dead letter queue otherwise.
func (w *Worker) fail(a *attempt, t *taskq.Task, err error, tc TypeConfig, dur time.Duration) {
	te := taskq.AsError(err)
	now := w.now()
	if !te.Retryable || t.RetryCount >= t.MaxRetries {
		w.deadLetter(a, t, te, dur)
		return
	}
	n := t.RetryCount + 1
	var delay time.Duration
	if tc.Backoff != nil {
		delay = tc.Backoff(n, te)
	} else {
		delay = Backoff(n, w.cfg.RetryBaseDelay, w.cfg.RetryMaxDelay)
	}
	delay = max(delay, te.RetryAfter)
	runAt := now.Add(delay)
	if t.Deadline != nil && !runAt.Before(*t.Deadline) {
		w.deadLetter(a, t, &taskq.Error{Code: taskq.CodeTaskTimeout, Message: "no retry possible before the deadline: " + te.Message, Err: te}, dur)
		return
	}
	t.RetryCount = n
	t.Status = taskq.StatusFailed
	t.Error = taskq.TaskErrorFrom(te)
	t.RunAt = runAt
	t.Updated = now
	defer w.events.hold(t.ID)()
	if err := w.updateAttempt(a, t); err != nil {
		w.settled(a, err)
		return
	}
	if err := w.requeue(a, t, runAt); err != nil {
		w.log.Warn("retry recorded but not requeued; the reaper will requeue it", "task_id", t.ID, "error", err)
	}
	w.log.Debug("task failed; retry scheduled", "task_id", t.ID, "task_type", t.Type, "retry", n, "run_at", runAt, "error", te)
	w.finished(a.q, t, taskq.OutcomeRetry, te, dur)
}

// deadLetter moves a task to the DLQ and acknowledges its lease. The move
// is fenced by the attempt number: the storage refuses it while the record
// runs another attempt.
func (w *Worker) deadLetter(a *attempt, t *taskq.Task, err error, dur time.Duration) {
	te := taskq.AsError(err)
	t.Attempts = a.number
	if err := w.write(a, func(ctx context.Context) error { return w.cfg.DeadLetter.Move(ctx, t, te) }); err != nil {
		w.settled(a, err)
		return
	}
	w.log.Warn("task moved to the dead letter queue", "task_id", t.ID, "task_type", t.Type, "error", te)
	w.ack(a.q, a.lease)
	w.finished(a.q, t, taskq.OutcomeDeadLetter, te, dur)
}

// putBack returns a started task to pending without counting the attempt,
// ready after delay, and reports it rescheduled.
func (w *Worker) putBack(a *attempt, t *taskq.Task, delay time.Duration, why string) {
	now := w.now()
	t.Status = taskq.StatusPending
	t.Attempts = max(a.number-1, 0)
	t.RunAt = now.Add(delay)
	t.Updated = now
	defer w.events.hold(t.ID)()
	if err := w.updateAttempt(a, t); err != nil {
		w.settled(a, err)
		return
	}
	if err := w.requeue(a, t, t.RunAt); err != nil {
		w.log.Warn("task put back but not requeued; the reaper will requeue it", "task_id", t.ID, "error", err)
	}
	w.log.Debug("task put back", "task_id", t.ID, "reason", why, "run_at", t.RunAt)
	w.finished(a.q, t, taskq.OutcomeRescheduled, nil, 0)
}

// handBackLease gives back a lease whose task was not started (its record
// untouched), ready after delay.
func (w *Worker) handBackLease(q string, l taskq.Lease, delay time.Duration, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), giveBackTimeout)
	defer cancel()
	if err := w.queue.Requeue(ctx, q, taskq.QueueEntry{ID: l.ID, Priority: l.Priority, RunAt: w.now().Add(delay), Token: l.Token}); err != nil {
		w.log.Warn("cannot give a lease back; it will expire and its task run again", "task_id", l.ID, "reason", why, "error", err)
		return
	}
	w.log.Debug("lease given back", "task_id", l.ID, "reason", why)
}

// cancelled settles a task cancelled while this worker held it: its record
// is already terminal, so only the lease is acknowledged.
func (w *Worker) cancelled(a *attempt, t *taskq.Task) {
	w.ack(a.q, a.lease)
	w.finished(a.q, t, taskq.OutcomeCancelled, nil, 0)
}

// afterLeaseLost handles a handler stopped because its lease is gone or
// expired by this worker's clock. A cancelled task is reported. A lease
// this worker fenced by its own clock is given back without counting the
// attempt (giveBackFenced). Otherwise it writes nothing: another worker
// owns the task now (or will, once the lease is reaped).
func (w *Worker) afterLeaseLost(a *attempt, t *taskq.Task) {
	ctx, cancel := context.WithTimeout(context.Background(), giveBackTimeout)
	defer cancel()
	cur, err := w.store.GetTask(ctx, t.ID)
	if err == nil && cur.Status == taskq.StatusCancelled {
		w.ack(a.q, a.lease)
		w.finished(a.q, cur, taskq.OutcomeCancelled, nil, 0)
		return
	}
	if err == nil {
		w.giveBackFenced(ctx, a, cur)
	}
}

// giveBackFenced returns the record of an attempt that this worker fenced
// by its own clock to pending, without counting the attempt: the worker
// is alive, it only could not reach the queue (a partition, an outage)
// and stopped the handler itself. Written once, fenced by the attempt
// number: when a reaper already settled the expired lease, or another
// attempt started, the write changes nothing. The queue entry is left to
// the reapers (the lease is no longer this worker's to give back).
func (w *Worker) giveBackFenced(ctx context.Context, a *attempt, t *taskq.Task) {
	if t.Status != taskq.StatusRunning || t.Attempts != a.number || a.held == nil || !w.held.selfFenced(a.held) {
		return
	}
	now := w.now()
	t.Status = taskq.StatusPending
	t.Attempts = max(a.number-1, 0)
	t.RunAt = now
	t.Updated = now
	if err := w.store.UpdateAttempt(ctx, t, a.number); err != nil {
		w.log.Info("lease expired by this worker's clock; the record was not given back", "task_id", t.ID, "attempt", a.number, "error", err)
		return
	}
	w.log.Warn("lease expired by this worker's clock (queue unreachable): task given back without counting the attempt", "task_id", t.ID, "task_type", t.Type)
}
