package worker

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/taskq/taskq"
)

// maxStartBatch bounds the ids of one StartTasks call of the starter.
const maxStartBatch = 256

// starter coalesces the record starts of concurrent runners: a start that
// finds no StartTasks call in flight goes out at once, alone; starts that
// arrive while one is in flight wait and go out together, as one
// StartTasks call (one multi-row statement on PostgreSQL, one script on
// Redis), as soon as it returns. Each caller gets its own record. So a
// lone task pays no wait, and under load the number of storage calls per
// task falls with the number of runners starting during a round trip.
//
// The lease fence holds as without batching: a start is refused when its
// lease was lost, expired by this worker's clock or given back, checked
// when the runner asks (heldSet.begin) and again when its batch is sent;
// the handler's own start (heldSet.setCancel) checks once more.
type starter struct {
	w    *Worker
	mu   sync.Mutex
	busy bool         // a StartTasks call is in flight
	next []*startCall // waiting for the call in flight to return
}

// startCall is one runner's start.
type startCall struct {
	held *heldLease
	done chan struct{} // closed when the outcome is set (waiting calls only)

	task    *taskq.Task // the started record; nil when not startable
	refused error       // why the lease may not start (see heldSet.refusal)
	err     error       // the storage call failed
}

// start marks the record of l running, in a batch with the starts of
// other runners, and returns the call with its outcome: the started
// record (nil when the record is missing or terminal), or why the lease
// may no longer start, or the storage's error.
func (s *starter) start(l *heldLease) *startCall {
	c := &startCall{held: l}
	s.mu.Lock()
	if s.busy {
		c.done = make(chan struct{})
		s.next = append(s.next, c)
		s.mu.Unlock()
		<-c.done
		return c
	}
	s.busy = true
	s.mu.Unlock()
	s.send([]*startCall{c})
	if batch := s.takeNext(); batch != nil {
		go s.loop(batch)
	}
	return c
}

// loop sends batch and the batches queued behind it, until none waits.
func (s *starter) loop(batch []*startCall) {
	for batch != nil {
		s.send(batch)
		for _, c := range batch {
			close(c.done)
		}
		batch = s.takeNext()
	}
}

// takeNext takes the next batch (at most maxStartBatch calls, no id
// twice), or marks the starter idle and returns nil when none waits.
func (s *starter) takeNext() []*startCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.next) == 0 {
		s.busy = false
		return nil
	}
	var batch, rest []*startCall
	seen := make(map[string]bool, min(len(s.next), maxStartBatch))
	for _, c := range s.next {
		// An id leased again while its previous lease is starting waits
		// for the next batch: one StartTasks call starts an id once.
		if len(batch) == maxStartBatch || seen[c.held.lease.ID] {
			rest = append(rest, c)
			continue
		}
		seen[c.held.lease.ID] = true
		batch = append(batch, c)
	}
	s.next = rest
	return batch
}

// send starts the records of the calls of batch whose leases may still
// start, in one StartTasks call, and sets every call's outcome.
func (s *starter) send(batch []*startCall) {
	w := s.w
	ids := make([]string, 0, len(batch))
	w.held.mu.Lock()
	for _, c := range batch {
		if c.refused = w.held.refusal(c.held); c.refused == nil {
			ids = append(ids, c.held.lease.ID)
		}
	}
	w.held.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	started, err := w.store.StartTasks(ctx, ids, w.now())
	if len(ids) == 1 {
		for _, c := range batch {
			if c.refused == nil {
				c.err = err
				if len(started) == 1 {
					c.task = started[0]
				}
			}
		}
		return
	}
	// Records by id, case-insensitively: a storage may return the
	// canonical form of an id (PostgreSQL's UUIDs are lower case).
	byID := make(map[string]*taskq.Task, len(started))
	for _, t := range started {
		byID[strings.ToLower(t.ID)] = t
	}
	for _, c := range batch {
		if c.refused == nil {
			c.task, c.err = byID[strings.ToLower(c.held.lease.ID)], err
		}
	}
}
