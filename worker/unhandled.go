package worker

import (
	"time"

	"github.com/taskq/taskq"
)

// Delays before a task without a handler on this worker is leased again:
// a quarter of its age, within these bounds (and never past its grace).
const (
	unhandledMinDelay = time.Second
	unhandledMaxDelay = 30 * time.Second
)

// unhandled settles a task whose type has no handler on this worker. Within
// Config.UnhandledGrace of the task's creation it is put back without using
// a retry (during a rolling deploy, a worker that knows the type may take
// it); after the grace it fails for good.
func (w *Worker) unhandled(a *attempt, t *taskq.Task) {
	age := w.now().Sub(t.Created)
	left := w.cfg.UnhandledGrace - age
	if left <= 0 {
		w.deadLetter(a, t, &taskq.Error{Code: taskq.CodeTaskExecutionFailed,
			Message: "no handler registered for type " + t.Type}, 0)
		return
	}
	delay := min(max(age/4, unhandledMinDelay), unhandledMaxDelay, left)
	w.log.Warn("no handler registered for this task type; putting the task back without using a retry",
		"task_type", t.Type, "task_id", t.ID, "retry_in", delay, "fails_in", left.Round(time.Millisecond))
	w.cfg.Observer.TaskUnhandled(t.Type)
	w.putBack(a, t, delay, "no handler registered")
}
