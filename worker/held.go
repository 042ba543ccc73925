package worker

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/taskq/taskq"
)

// heldSet tracks the leases this worker holds, for heartbeats, self-fencing
// and shutdown. Each lease has its own entry, named by its token: an id
// requeued and leased again while the previous attempt is still being
// recorded gets a new entry, which the old attempt's removal leaves alone,
// and a lost-lease report about an old token never reaches a newer lease.
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
	leaseWaiting   leaseState = iota // leased (prefetched), its handler not started
	leaseStarting                    // its record is being marked running
	leaseRunning                     // its handler runs
	leaseRecording                   // its runner records the outcome
	leaseAbandoned                   // given back (by Stop or a prefetch hand-back): its outcome is dropped
)

// heldLease is one lease held by this worker.
type heldLease struct {
	queue  string
	lease  taskq.Lease
	leased time.Time // when it was leased (local monotonic clock)

	// Guarded by heldSet.mu.
	state   leaseState
	cancel  attemptCancel // the running handler's, once started
	lost    error         // why the lease was found lost before its handler started
	attempt int           // the attempt number the record got when started; 0 before
	valid   time.Time     // the lease is surely ours until then (local monotonic clock)
}

// errSelfFenced says a lease expired by this worker's clock: no heartbeat
// succeeded for LeaseTTL minus the margin, so the queue may have given the
// task to another worker. It matches taskq.ErrLeaseLost.
var errSelfFenced = fmt.Errorf("%w: it expired by this worker's clock (no heartbeat succeeded in time)", taskq.ErrLeaseLost)

// errAbandoned says a job's lease was given back before its handler
// started (by Stop, or by a prefetch hand-back).
var errAbandoned = errors.New("lease given back")

// addAll registers new leases of queue, valid until valid.
func (h *heldSet) addAll(queue string, leases []taskq.Lease, leased, valid time.Time) []*heldLease {
	out := make([]*heldLease, len(leases))
	h.mu.Lock()
	for i, l := range leases {
		out[i] = &heldLease{queue: queue, lease: l, leased: leased, valid: valid}
		h.m[l.ID] = out[i]
	}
	h.mu.Unlock()
	return out
}

// refusal says why lease l may not go on (nil when it may). Under h.mu.
func (h *heldSet) refusal(l *heldLease) error {
	switch {
	case l.state == leaseAbandoned:
		return errAbandoned
	case l.lost != nil:
		return l.lost
	case h.killed != nil:
		return h.killed
	case !time.Now().Before(l.valid):
		return errSelfFenced
	}
	return nil
}

// begin moves a waiting lease to starting (its record is about to be
// marked running); it returns why it must not, as setCancel does.
func (h *heldSet) begin(l *heldLease) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.refusal(l); err != nil {
		return err
	}
	l.state = leaseStarting
	return nil
}

// started records the attempt number the lease's record got.
func (h *heldSet) started(l *heldLease, attempt int) {
	h.mu.Lock()
	l.attempt = attempt
	h.mu.Unlock()
}

// setCancel registers the cancel function of a starting handler. It
// returns nil when the handler may start; otherwise why it must not: the
// lease was found lost (taskq.ErrLeaseLost or taskq.ErrTaskCancelled), it
// expired by this worker's clock (errSelfFenced), the worker is shutting
// down (the killAll cause) or the lease was given back (errAbandoned).
func (h *heldSet) setCancel(l *heldLease, c attemptCancel) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.refusal(l); err != nil {
		return err
	}
	l.cancel, l.state = c, leaseRunning
	return nil
}

// claim lets the runner of l record its outcome; it returns false when the
// lease was given back, and the outcome must then be dropped. After a true
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

// validUntil is when lease l expires by this worker's clock.
// selfFenced reports whether l expired by this worker's clock (no
// heartbeat succeeded in time), rather than being found lost by the queue.
func (h *heldSet) selfFenced(l *heldLease) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return l.lost == errSelfFenced || l.lost == nil && !time.Now().Before(l.valid)
}

func (h *heldSet) validUntil(l *heldLease) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return l.valid
}

// killAll cancels every running handler with cause, and keeps handlers
// that have not started from starting. Handler contexts do not descend
// from one shared parent context: registering thousands of children a
// second with one parent would serialise the runners on its lock.
func (h *heldSet) killAll(cause error) {
	h.mu.Lock()
	h.killed = cause
	var cs []attemptCancel
	for _, l := range h.m {
		if l.state == leaseRunning {
			cs = append(cs, l.cancel)
		}
	}
	h.mu.Unlock()
	for _, c := range cs {
		c.call(cause)
	}
}

// abandoned is a lease given back by Stop or a prefetch hand-back.
type abandoned struct {
	queue   string
	lease   taskq.Lease
	attempt int // the attempt its handler runs; 0 when not started
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
		if l.state == leaseWaiting || l.state == leaseStarting || l.state == leaseRunning {
			l.state = leaseAbandoned
			out = append(out, abandoned{queue: l.queue, lease: l.lease, attempt: l.attempt})
			delete(h.m, id)
		}
	}
	return out
}

// handBack takes away the prefetched leases (handlers not started) leased
// before olderThan or expiring (by this worker's clock) before near, to be
// given back to the queue for other workers; their runners drop them.
func (h *heldSet) handBack(olderThan, near time.Time) []abandoned {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []abandoned
	for id, l := range h.m {
		if l.state == leaseWaiting && (l.leased.Before(olderThan) || l.valid.Before(near)) {
			l.state = leaseAbandoned
			out = append(out, abandoned{queue: l.queue, lease: l.lease})
			delete(h.m, id)
		}
	}
	return out
}

// remove forgets lease l, unless its id is held by a newer lease.
func (h *heldSet) remove(l *heldLease) {
	h.mu.Lock()
	if h.m[l.lease.ID] == l {
		delete(h.m, l.lease.ID)
	}
	h.mu.Unlock()
}

// byQueue returns the held leases by queue.
func (h *heldSet) byQueue() map[string][]taskq.Lease {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]taskq.Lease{}
	for _, l := range h.m {
		out[l.queue] = append(out[l.queue], l.lease)
	}
	return out
}

// running returns the leases whose handlers run.
func (h *heldSet) running() []heldRef {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []heldRef
	for _, l := range h.m {
		if l.state == leaseRunning {
			out = append(out, heldRef{queue: l.queue, lease: l.lease})
		}
	}
	return out
}

// heldRef names a held lease.
type heldRef struct {
	queue string
	lease taskq.Lease
}

// renew moves the validity of the given leases of queue, still held under
// the same tokens, to valid.
func (h *heldSet) renew(queue string, leases []taskq.Lease, valid time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range leases {
		if cur := h.m[l.ID]; cur != nil && cur.queue == queue && cur.lease.Token == l.Token && valid.After(cur.valid) {
			cur.valid = valid
		}
	}
}

// lose cancels with cause the handler of lease l of queue if this worker
// still holds that very lease (same token), or marks it so that its
// handler does not start. A report about an older lease of the id is
// ignored.
func (h *heldSet) lose(queue string, l taskq.Lease, cause error) {
	h.mu.Lock()
	cur := h.m[l.ID]
	var c attemptCancel
	running := false
	if cur != nil && cur.queue == queue && cur.lease.Token == l.Token {
		switch cur.state {
		case leaseRunning:
			c, running = cur.cancel, true
		case leaseWaiting, leaseStarting:
			cur.lost = cause
		}
	}
	h.mu.Unlock()
	if running {
		c.call(cause)
	}
}

// expire fences the leases whose validity ended by now: running handlers
// are cancelled (cause taskq.ErrLeaseLost) and handlers not started yet
// will not start. It returns how many handlers it cancelled.
func (h *heldSet) expire(now time.Time) int {
	h.mu.Lock()
	var cs []attemptCancel
	for _, l := range h.m {
		if l.valid.After(now) {
			continue
		}
		switch l.state {
		case leaseRunning:
			if l.lost == nil {
				l.lost = errSelfFenced
				cs = append(cs, l.cancel)
			}
		case leaseWaiting, leaseStarting:
			if l.lost == nil {
				l.lost = errSelfFenced
			}
		}
	}
	h.mu.Unlock()
	for _, c := range cs {
		c.call(taskq.ErrLeaseLost)
	}
	return len(cs)
}
