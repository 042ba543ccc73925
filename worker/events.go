package worker

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taskq/taskq"
)

// EventBuffer is the capacity of each subscription's channel: how many
// events may wait for a subscriber that does not keep up. Beyond it the
// worker drops the subscriber's newest events rather than wait (see
// Subscribe).
const EventBuffer = 1024

// Subscribe returns a channel receiving the recorded outcome of every
// attempt this worker runs whose kind is among kinds (every kind when none
// are given; unknown kinds match nothing), and a cancel function that ends
// the subscription and closes the channel. cancel may be called more than
// once and from any goroutine; call it when done, or the subscription
// stays registered for the worker's lifetime. The channel is not closed
// when the worker stops.
//
// An event is sent once its outcome is recorded: the task record written
// and, for completed, dead_lettered and cancelled tasks, the queue lease
// acknowledged (so a subscriber that receives one sees the task gone from
// the queue's counts). Events of one task arrive in order: a failed or
// rescheduled event comes before any event of the task's next attempt on
// this worker, even when that attempt finishes first.
//
// Subscribers never slow the worker: each subscription buffers up to
// EventBuffer events, and an event that finds the buffer full is dropped
// for that subscriber, counted in DroppedEvents and logged (once per
// subscription) as a warning. Read promptly, or re-check state after a
// drop.
//
// Subscriptions are meant for tests, examples and in-process reactions
// (progress reporting); they see this worker's attempts only, not those of
// other processes. Use the task records for anything durable.
func (w *Worker) Subscribe(kinds ...taskq.EventKind) (events <-chan taskq.Event, cancel func()) {
	s := &subscription{ch: make(chan taskq.Event, EventBuffer)}
	if len(kinds) > 0 {
		s.kinds = map[taskq.EventKind]bool{}
		for _, k := range kinds {
			s.kinds[k] = true
		}
	}
	w.events.add(s)
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			w.events.remove(s)
			close(s.ch)
		})
	}
}

// DroppedEvents returns how many events were dropped for subscribers whose
// buffer was full, over the worker's lifetime.
func (w *Worker) DroppedEvents() uint64 { return w.events.dropped.Load() }

// eventHub holds the subscriptions of a worker.
type eventHub struct {
	mu      sync.RWMutex
	subs    map[*subscription]struct{}
	n       atomic.Int32 // len(subs), read without the lock on the hot path
	dropped atomic.Uint64

	// A retry or put-back makes its task runnable again before its event
	// is sent: the next attempt, here, may finish first. pending holds,
	// per task id, the attempt whose record write made the task runnable
	// and whose event is not sent yet; the next attempt's event waits
	// for it (Events of one task arrive in order).
	pendingMu sync.Mutex
	pending   map[string]chan struct{}
}

// subscription is one Subscribe call.
type subscription struct {
	ch      chan taskq.Event
	kinds   map[taskq.EventKind]bool // nil: every kind
	dropped atomic.Bool              // set at the first drop, which is logged
}

func (h *eventHub) add(s *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[*subscription]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.n.Store(int32(len(h.subs)))
}

// remove unregisters s; once it returns, nothing sends on s.ch.
func (h *eventHub) remove(s *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
	h.n.Store(int32(len(h.subs)))
}

func (h *eventHub) active() bool { return h.n.Load() > 0 }

// publish offers ev to every interested subscription without blocking.
// Each subscriber receives its own copy of the task. It reports the
// subscriptions whose first drop this was, for the caller to log.
func (h *eventHub) publish(ev taskq.Event) (firstDrops int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		if s.kinds != nil && !s.kinds[ev.Kind] {
			continue
		}
		e := ev
		e.Task = ev.Task.Clone()
		select {
		case s.ch <- e:
		default:
			h.dropped.Add(1)
			if s.dropped.CompareAndSwap(false, true) {
				firstDrops++
			}
		}
	}
	return firstDrops
}

// hold marks an event of task id as coming: until release is called, the
// events of the task's later attempts wait (see await). Call it before
// the write that makes the task runnable again. When an earlier attempt's
// event is still held, hold waits for it first.
func (h *eventHub) hold(id string) (release func()) {
	for {
		h.pendingMu.Lock()
		prev, held := h.pending[id]
		if !held {
			ch := make(chan struct{})
			if h.pending == nil {
				h.pending = map[string]chan struct{}{}
			}
			h.pending[id] = ch
			h.pendingMu.Unlock()
			return func() {
				h.pendingMu.Lock()
				delete(h.pending, id)
				h.pendingMu.Unlock()
				close(ch)
			}
		}
		h.pendingMu.Unlock()
		<-prev
	}
}

// await waits until no event of task id is held. The holder is between a
// record write and its event (a queue call at most), so the wait is short.
func (h *eventHub) await(id string) {
	h.pendingMu.Lock()
	ch := h.pending[id]
	h.pendingMu.Unlock()
	if ch != nil {
		<-ch
	}
}

// emit publishes ev and logs the subscriptions that started dropping.
func (w *Worker) emit(ev taskq.Event) {
	if n := w.events.publish(ev); n > 0 {
		w.log.Warn("event subscriber not keeping up: events dropped", "subscriptions", n, "buffer", EventBuffer)
	}
}

// eventKinds maps the observer's outcomes to event kinds.
var eventKinds = map[taskq.Outcome]taskq.EventKind{
	taskq.OutcomeCompleted:   taskq.EventCompleted,
	taskq.OutcomeRetry:       taskq.EventFailed,
	taskq.OutcomeDeadLetter:  taskq.EventDeadLettered,
	taskq.OutcomeCancelled:   taskq.EventCancelled,
	taskq.OutcomeRescheduled: taskq.EventRescheduled,
}

// finished reports the recorded outcome of an attempt of t (taken from
// queue q) to the observer and to the subscribers. err is the attempt's
// error for failed and dead-lettered tasks. Outcomes that acknowledged
// the lease reach the subscribers through the ack loop, after the
// acknowledgement they follow.
func (w *Worker) finished(q string, t *taskq.Task, out taskq.Outcome, err error, dur time.Duration) {
	w.cfg.Observer.TaskFinished(t.Type, out, dur)
	if !w.events.active() {
		return
	}
	kind := eventKinds[out]
	ev := taskq.Event{Kind: kind, Task: t.Clone(), Time: w.now()}
	if kind == taskq.EventFailed || kind == taskq.EventDeadLettered {
		ev.Err = err
	}
	if kind == taskq.EventCancelled {
		// t may hold the outcome the worker tried to write; the record
		// says cancelled. A deleted record leaves the last known one.
		if cur, gerr := w.store.GetTask(context.Background(), t.ID); gerr == nil {
			ev.Task = cur
		} else {
			ev.Task.Status = taskq.StatusCancelled
		}
	}
	switch kind {
	case taskq.EventCompleted, taskq.EventDeadLettered, taskq.EventCancelled:
		// A failed or rescheduled event of an earlier attempt goes first.
		// (Those outcomes take the hold themselves, in fail and putBack.)
		w.events.await(t.ID)
		w.acks <- ackItem{queue: q, ev: &ev}
	default:
		w.emit(ev)
	}
}
