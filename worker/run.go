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
	for {
		// Take a handler token first, then the next job: with one token
		// (Concurrency 1) jobs run in exactly the order they were leased.
		w.running <- struct{}{}
		j, ok := <-w.jobs
		if !ok {
			<-w.running
			return
		}
		ctx, endSpan := context.Background(), func(taskq.Outcome, error) {}
		if w.cfg.Tracer != nil {
			ctx, endSpan = w.cfg.Tracer.StartAttempt(ctx, j.task)
		}
		o := w.execute(ctx, j)
		<-w.running
		w.slots <- struct{}{}
		if !w.held.claim(o.held) {
			endSpan(outcomeGivenBack, nil)
			continue // given back by Stop: the outcome is dropped
		}
		w.finish(ctx, o)
		endSpan(o.traced(), o.err)
		w.held.remove(o.t.ID, o.held)
		w.held.recorded()
	}
}

type outcomeKind uint8

const (
	outComplete outcomeKind = iota
	outFail
	outDeadLetter
	outPutBack
	outLeaseLost
	outCancelled
	outUnhandled
)

// outcome is how one attempt ended, to be recorded by its runner once the
// handler slot is given back.
type outcome struct {
	kind  outcomeKind
	held  *heldLease
	q     string
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
	}
	return outcomeUnhandled
}

// finish records the outcome o; ctx carries the attempt's span, if any.
func (w *Worker) finish(_ context.Context, o outcome) {
	switch o.kind {
	case outComplete:
		w.complete(o.q, o.t, o.res, o.tc, o.dur)
	case outFail:
		w.fail(o.q, o.t, o.err, o.tc, o.dur)
	case outDeadLetter:
		w.deadLetter(o.q, o.t, o.err, o.dur)
	case outPutBack:
		w.putBack(o.q, o.t, o.delay, o.why)
	case outLeaseLost:
		w.afterLeaseLost(o.q, o.t)
	case outCancelled:
		w.cancelled(o.q, o.t)
	case outUnhandled:
		w.unhandled(o.q, o.t)
	}
}

// execute runs one leased, started task and says how it ended. The
// handler's context derives from parent (which carries the attempt's span
// when tracing).
func (w *Worker) execute(parent context.Context, j job) outcome {
	t, q := j.task, j.queue
	o := outcome{q: q, t: t, held: j.held}
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
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
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
	start := time.Now()
	res, err := w.call(ctx, h, t)
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

// notStarted says how a job whose handler may not start (see
// heldSet.setCancel) ends: a cancelled task is settled, a shut down worker
// gives the task back, a lost lease is someone else's.
func notStarted(why error) outcomeKind {
	switch {
	case why == taskq.ErrTaskCancelled:
		return outCancelled
	case errors.Is(why, taskq.ErrShutdown):
		return outPutBack
	}
	return outLeaseLost // lost, or abandoned (its outcome is dropped)
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

// Outcome writes use context.Background(): they are not tied to the
// handler's context (which may be cancelled) and carry no timer of their
// own, since the backends bound their calls (PostgreSQL's WriteTimeout,
// rueidis' connection timeouts) and a write that fails leaves the lease to
// expire.

// complete records a success and acknowledges the lease.
func (w *Worker) complete(q string, t *taskq.Task, res any, tc TypeConfig, dur time.Duration) {
	b, err := encodeResult(res)
	if err != nil {
		w.fail(q, t, taskq.Permanent(fmt.Errorf("cannot store result: %w", err)), tc, dur)
		return
	}
	ctx := context.Background()
	now := w.now()
	t.Status = taskq.StatusCompleted
	t.Result = b
	t.Error = nil
	t.CompletedAt = &now
	t.Updated = now
	if err := w.store.UpdateTask(ctx, t, taskq.StatusRunning); err != nil {
		if w.settled(q, t.ID, err) {
			w.finished(q, t, taskq.OutcomeCancelled, nil, dur)
		}
		return
	}
	w.ack(q, t.ID)
	w.finished(q, t, taskq.OutcomeCompleted, nil, dur)
}

// settled handles a failed conditional write. When the record is gone or
// terminal (cancelled meanwhile) the lease is acknowledged and true
// returned. When it moved on otherwise (the lease was reaped and the task
// rescheduled, perhaps leased by another worker) it is left alone. When
// storage failed the lease is left to expire and false returned.
func (w *Worker) settled(q, id string, err error) bool {
	if errors.Is(err, taskq.ErrNotFound) {
		w.ack(q, id)
		return true
	}
	if errors.Is(err, taskq.ErrConflict) {
		ctx := context.Background()
		cur, gerr := w.store.GetTask(ctx, id)
		if errors.Is(gerr, taskq.ErrNotFound) || gerr == nil && cur.Status.Terminal() {
			w.ack(q, id)
			return true
		}
		return false
	}
	w.log.Warn("cannot record task outcome; its lease will expire and it will run again", "task_id", id, "error", err)
	return false
}

// fail records a failed attempt: a retry with backoff while retries remain
// and the error is retryable, the dead letter queue otherwise.
func (w *Worker) fail(q string, t *taskq.Task, err error, tc TypeConfig, dur time.Duration) {
	te := taskq.AsError(err)
	now := w.now()
	if !te.Retryable || t.RetryCount >= t.MaxRetries {
		w.deadLetter(q, t, te, dur)
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
		w.deadLetter(q, t, &taskq.Error{Code: taskq.CodeTaskTimeout, Message: "no retry possible before the deadline: " + te.Message, Err: te}, dur)
		return
	}
	t.RetryCount = n
	t.Status = taskq.StatusFailed
	t.Error = taskq.TaskErrorFrom(te)
	t.RunAt = runAt
	t.Updated = now
	ctx := context.Background()
	if err := w.store.UpdateTask(ctx, t, taskq.StatusRunning); err != nil {
		w.settled(q, t.ID, err)
		return
	}
	if err := w.queue.Requeue(ctx, q, taskq.QueueEntry{ID: t.ID, Priority: t.Priority, RunAt: runAt}); err != nil {
		w.log.Warn("retry recorded but not requeued; the reaper will requeue it", "task_id", t.ID, "error", err)
	}
	w.log.Debug("task failed; retry scheduled", "task_id", t.ID, "task_type", t.Type, "retry", n, "run_at", runAt, "error", te)
	w.finished(q, t, taskq.OutcomeRetry, te, dur)
}

// deadLetter moves a task to the DLQ and acknowledges its lease.
func (w *Worker) deadLetter(q string, t *taskq.Task, err error, dur time.Duration) {
	te := taskq.AsError(err)
	if err := w.cfg.DeadLetter.Move(context.Background(), t, te); err != nil {
		w.settled(q, t.ID, err)
		return
	}
	w.log.Warn("task moved to the dead letter queue", "task_id", t.ID, "task_type", t.Type, "error", te)
	w.ack(q, t.ID)
	w.finished(q, t, taskq.OutcomeDeadLetter, te, dur)
}

// putBack returns a started task to pending without counting the attempt,
// ready after delay, and reports it rescheduled.
func (w *Worker) putBack(q string, t *taskq.Task, delay time.Duration, why string) {
	ctx := context.Background()
	now := w.now()
	t.Status = taskq.StatusPending
	if t.Attempts > 0 {
		t.Attempts--
	}
	t.RunAt = now.Add(delay)
	t.Updated = now
	if err := w.store.UpdateTask(ctx, t, taskq.StatusRunning); err != nil {
		w.settled(q, t.ID, err)
		return
	}
	if err := w.queue.Requeue(ctx, q, taskq.QueueEntry{ID: t.ID, Priority: t.Priority, RunAt: t.RunAt}); err != nil {
		w.log.Warn("task put back but not requeued; the reaper will requeue it", "task_id", t.ID, "error", err)
	}
	w.log.Debug("task put back", "task_id", t.ID, "reason", why, "run_at", t.RunAt)
	w.finished(q, t, taskq.OutcomeRescheduled, nil, 0)
}

// cancelled settles a task cancelled while this worker held it: its record
// is already terminal, so only the lease is acknowledged.
func (w *Worker) cancelled(q string, t *taskq.Task) {
	w.ack(q, t.ID)
	w.finished(q, t, taskq.OutcomeCancelled, nil, 0)
}

// afterLeaseLost handles a handler stopped because its lease is gone: a
// cancelled task is reported; otherwise another worker owns it now.
func (w *Worker) afterLeaseLost(q string, t *taskq.Task) {
	ctx := context.Background()
	cur, err := w.store.GetTask(ctx, t.ID)
	if err == nil && cur.Status == taskq.StatusCancelled {
		w.ack(q, t.ID)
		w.finished(q, cur, taskq.OutcomeCancelled, nil, 0)
	}
}
