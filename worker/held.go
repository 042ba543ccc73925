package worker

import (
	"context"
	"errors"
	"sync"
)

// heldSet tracks the leases this worker holds, for heartbeats and for
// shutdown. Each lease has its own entry: an id requeued and leased again
// while the previous attempt is still being recorded gets a new entry,
// which the old attempt's removal leaves alone.
type heldSet struct {
	mu     sync.Mutex
	m      map[string]*heldLease
	killed error // set by killAll: handlers not started yet do not start
	closed bool  // set by abandonAll: no outcome is recorded any more

	// recording counts the outcomes being recorded (claimed and not yet
	// done), so that Stop waits for them and not for abandoned handlers.
	recording sync.WaitGroup
}

// leaseState is where a held lease is in its life.
type leaseState uint8

const (
	leaseWaiting   leaseState = iota // leased, its handler not started
	leaseRunning                     // its handler runs
	leaseRecording                   // its runner records the outcome
	leaseAbandoned                   // given back by Stop: its outcome is dropped
)

// heldLease is one lease held by this worker.
type heldLease struct {
	queue  string
	state  leaseState
	cancel context.CancelCauseFunc // the running handler's, once started
	lost   error                   // why the lease was found lost before its handler started
}

// errAbandoned says a job's lease was given back by Stop before its
// handler started.
var errAbandoned = errors.New("lease given back at shutdown")

func (h *heldSet) addAll(queue string, ids []string) []*heldLease {
	out := make([]*heldLease, len(ids))
	h.mu.Lock()
	for i, id := range ids {
		out[i] = &heldLease{queue: queue}
		h.m[id] = out[i]
	}
	h.mu.Unlock()
	return out
}

// setCancel registers the cancel function of a starting handler. It
// returns nil when the handler may start; otherwise why it must not: the
// lease was found lost (taskq.ErrLeaseLost or taskq.ErrTaskCancelled), the
// worker is shutting down (the killAll cause) or Stop gave the lease back
// (errAbandoned).
func (h *heldSet) setCancel(l *heldLease, c context.CancelCauseFunc) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case l.state == leaseAbandoned:
		return errAbandoned
	case l.lost != nil:
		return l.lost
	case h.killed != nil:
		return h.killed
	}
	l.cancel, l.state = c, leaseRunning
	return nil
}

// claim lets the runner of l record its outcome; it returns false when Stop
// gave the lease back, and the outcome must then be dropped. After a true
// claim the runner calls recorded.
func (h *heldSet) claim(l *heldLease) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || l.state == leaseAbandoned {
		return false
	}
	l.state = leaseRecording
	h.recording.Add(1)
	return true
}

// recorded ends what claim began.
func (h *heldSet) recorded() { h.recording.Done() }

// killAll cancels every running handler with cause, and keeps handlers
// that have not started from starting. Handler contexts do not descend
// from one shared parent context: registering thousands of children a
// second with one parent would serialise the runners on its lock.
func (h *heldSet) killAll(cause error) {
	h.mu.Lock()
	h.killed = cause
	var cs []context.CancelCauseFunc
	for _, l := range h.m {
		if l.state == leaseRunning {
			cs = append(cs, l.cancel)
		}
	}
	h.mu.Unlock()
	for _, c := range cs {
		c(cause)
	}
}

// abandoned is a lease given back by Stop.
type abandoned struct {
	queue, id string
}

// abandonAll takes the leases whose outcome is not being recorded away
// from their runners (whatever their handlers do later is dropped) and
// returns them, to be given back; from then on no outcome is recorded.
func (h *heldSet) abandonAll() []abandoned {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	var out []abandoned
	for id, l := range h.m {
		if l.state == leaseWaiting || l.state == leaseRunning {
			l.state = leaseAbandoned
			out = append(out, abandoned{queue: l.queue, id: id})
			delete(h.m, id)
		}
	}
	return out
}

// remove forgets lease l of id, unless id is held by a newer lease.
func (h *heldSet) remove(id string, l *heldLease) {
	h.mu.Lock()
	if h.m[id] == l {
		delete(h.m, id)
	}
	h.mu.Unlock()
}

func (h *heldSet) byQueue() map[string][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]string{}
	for id, l := range h.m {
		out[l.queue] = append(out[l.queue], id)
	}
	return out
}

// lose cancels with cause the handler of a lease that is no longer ours,
// or marks it so that its handler does not start.
func (h *heldSet) lose(id string, cause error) {
	h.mu.Lock()
	l := h.m[id]
	var c context.CancelCauseFunc
	if l != nil {
		switch l.state {
		case leaseRunning:
			c = l.cancel
		case leaseWaiting:
			l.lost = cause
		}
	}
	h.mu.Unlock()
	if c != nil {
		c(cause)
	}
}
