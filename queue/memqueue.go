package queue

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/taskq/taskq"
)

// maxFree bounds the recycled entries a memQueue keeps.
const maxFree = 4096

// memQueue is the state of one named queue. Every field but used is
// guarded by mu; no operation scans all entries.
type memQueue struct {
	name string
	// used is set once the queue has held an entry (for Queues).
	used atomic.Bool

	mu      sync.Mutex
	entries map[string]*entry
	ready   [taskq.NumPriorities]readyList
	sched   entryHeap
	leased  entryHeap
	seq     uint64
	tokens  int64 // the last lease token handed out
	// wake is closed and cleared to wake waiters; nil when nobody waits.
	wake chan struct{}
	free []*entry
	// busy counts the leased entries by type (non-empty types only).
	busy map[string]int
	// buckets holds the start-rate token buckets by type.
	buckets map[string]bucket
}

func newMemQueue(name string) *memQueue {
	return &memQueue{name: name, entries: make(map[string]*entry)}
}

// nextSeq returns a new order number.
func (q *memQueue) nextSeq() uint64 {
	q.seq++
	return q.seq
}

func (q *memQueue) alloc(id string, prio taskq.TaskPriority, typ, owner string) *entry {
	var e *entry
	if n := len(q.free); n > 0 {
		e = q.free[n-1]
		q.free[n-1] = nil
		q.free = q.free[:n-1]
	} else {
		e = new(entry)
	}
	e.id, e.prio, e.typ, e.owner = id, int8(prio), typ, owner
	q.entries[id] = e
	return e
}

// drop deletes a detached entry for good.
func (q *memQueue) drop(e *entry) {
	delete(q.entries, e.id)
	if len(q.free) < maxFree {
		*e = entry{}
		q.free = append(q.free, e)
	}
}

// place makes a detached entry ready when runAt <= now, scheduled
// otherwise.
func (q *memQueue) place(e *entry, runAt, now int64) {
	if runAt <= now {
		e.state = stateReady
		q.ready[e.prio].pushBack(e)
		return
	}
	e.state = stateScheduled
	e.key = runAt
	e.seq = q.nextSeq()
	q.sched.push(e)
}

// lease puts a detached entry in the leased heap until deadline, under a
// new token.
func (q *memQueue) lease(e *entry, deadline int64) {
	if e.state != stateLeased && e.typ != "" {
		if q.busy == nil {
			q.busy = make(map[string]int)
		}
		q.busy[e.typ]++
	}
	q.tokens++
	e.token = q.tokens
	e.state = stateLeased
	e.key = deadline
	e.seq = q.nextSeq()
	q.leased.push(e)
}

// detach takes e out of whatever structure holds it.
func (q *memQueue) detach(e *entry) {
	switch e.state {
	case stateReady:
		q.ready[e.prio].remove(e)
	case stateScheduled:
		q.sched.remove(int(e.idx))
	case stateLeased:
		q.leased.remove(int(e.idx))
		if e.typ != "" {
			if q.busy[e.typ]--; q.busy[e.typ] <= 0 {
				delete(q.busy, e.typ)
			}
		}
	}
	e.state = 0
}

// holds reports whether e is leased under token (any lease when zero).
func holds(e *entry, token int64) bool {
	return e != nil && e.state == stateLeased && (token == 0 || e.token == token)
}

// promote makes the scheduled entries due at now ready, in run-at order.
func (q *memQueue) promote(now int64) {
	for len(q.sched) > 0 && q.sched[0].key <= now {
		e := q.sched.pop()
		e.state = stateReady
		q.ready[e.prio].pushBack(e)
	}
}

// readyCount is the number of ready entries.
func (q *memQueue) readyCount() int {
	n := 0
	for i := range q.ready {
		n += q.ready[i].n
	}
	return n
}

// next pops the ready entry to lease next: the highest non-empty priority
// when weights is nil, a weighted random choice among the non-empty
// priorities otherwise (falling back to strict order when every non-empty
// priority has no positive weight). It returns nil when nothing is ready.
func (q *memQueue) next(weights []int) *entry {
	if weights != nil {
		total := 0
		for p := range q.ready {
			if q.ready[p].n > 0 && p < len(weights) && weights[p] > 0 {
				total += weights[p]
			}
		}
		if total > 0 {
			r := rand.IntN(total)
			for p := len(q.ready) - 1; p >= 0; p-- {
				if q.ready[p].n == 0 || p >= len(weights) || weights[p] <= 0 {
					continue
				}
				if r < weights[p] {
					return q.ready[p].popFront()
				}
				r -= weights[p]
			}
		}
	}
	for p := len(q.ready) - 1; p >= 0; p-- {
		if q.ready[p].n > 0 {
			return q.ready[p].popFront()
		}
	}
	return nil
}

// notify wakes every waiter of the queue.
func (q *memQueue) notify() {
	if q.wake != nil {
		close(q.wake)
		q.wake = nil
	}
}
