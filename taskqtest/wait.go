package taskqtest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/taskq/taskq"
)

// recheck is how often a wait looks again without an event: it covers
// changes that give no event (a task cancelled while it waited, a retry
// from the dead letter queue) and events dropped for a full subscription.
const recheck = 100 * time.Millisecond

// WaitIdle waits until the engine's queues hold no ready, scheduled or
// leased entries (a leased entry is a task running or about to run) and
// fails the test otherwise after the timeout (see WithTimeout). A task
// scheduled for later (WithDelay, or a retry waiting for its backoff)
// keeps the engine busy until it has run.
func (e *Engine) WaitIdle() {
	e.t.Helper()
	d := e.waitTimeout()
	e.wait(d, func() (bool, string) {
		busy, err := e.busy()
		if err != nil {
			e.t.Fatalf("taskqtest: WaitIdle: %v", err)
		}
		return busy == "", busy
	}, func(last string) {
		e.t.Fatalf("taskqtest: not idle after %s: %s", d, last)
	})
}

// busy describes the non-empty queues, or returns "".
func (e *Engine) busy() (string, error) {
	var out string
	for _, q := range e.queues {
		st, err := e.Queue.Stats(context.Background(), q)
		if err != nil {
			return "", err
		}
		if st.Total() > 0 {
			var ready int64
			for _, n := range st.Ready {
				ready += n
			}
			out += fmt.Sprintf("queue %q has %d ready, %d scheduled, %d leased; ", q, ready, st.Scheduled, st.Leased)
		}
	}
	return out, nil
}

// WaitStatus waits until task id is in status and returns its record. It
// fails the test when the task reaches another terminal status (its error
// is shown), is missing, or the timeout passes (see WithTimeout).
func (e *Engine) WaitStatus(id string, status taskq.TaskStatus) *taskq.Task {
	e.t.Helper()
	d := e.waitTimeout()
	var got *taskq.Task
	e.wait(d, func() (bool, string) {
		t, err := e.Store.GetTask(context.Background(), id)
		if errors.Is(err, taskq.ErrNotFound) {
			e.t.Fatalf("taskqtest: WaitStatus: task %s does not exist", id)
		}
		if err != nil {
			e.t.Fatalf("taskqtest: WaitStatus: %v", err)
		}
		got = t
		if t.Status == status {
			return true, ""
		}
		if t.Status.Terminal() {
			e.t.Fatalf("taskqtest: task %s (%s) is %s%s, not %s", id, t.Type, t.Status, describeError(t), status)
		}
		return false, string(t.Status) + describeError(t)
	}, func(last string) {
		e.t.Fatalf("taskqtest: task %s not %s after %s: it is %s", id, status, d, last)
	})
	return got
}

func describeError(t *taskq.Task) string {
	if t.Error == nil {
		return ""
	}
	return fmt.Sprintf(" (error %s: %s)", t.Error.Code, t.Error.Message)
}

// wait calls done after subscribing, then after each burst of worker
// events (and every recheck), until it reports true or d passes; then it
// calls fail with done's last description.
func (e *Engine) wait(d time.Duration, done func() (bool, string), fail func(last string)) {
	events, cancel := e.Worker.Subscribe()
	defer cancel()
	timer := time.NewTimer(d)
	defer timer.Stop()
	tick := time.NewTicker(recheck)
	defer tick.Stop()
	for {
		ok, last := done()
		if ok {
			return
		}
		select {
		case <-events:
			drain(events)
		case <-tick.C:
		case <-timer.C:
			fail(last)
			return
		}
	}
}

// drain empties ch without blocking, so that a burst of events costs one
// look.
func drain(ch <-chan taskq.Event) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// waitTimeout is the engine's timeout, ending before the test's deadline.
func (e *Engine) waitTimeout() time.Duration {
	d := e.timeout
	if d <= 0 {
		d = DefaultTimeout
	}
	if dt, ok := e.t.(interface{ Deadline() (time.Time, bool) }); ok {
		if end, ok := dt.Deadline(); ok {
			// Keep a tenth of what is left to report the failure and clean up.
			left := time.Until(end) * 9 / 10
			d = max(min(d, left), time.Millisecond)
		}
	}
	return d
}
