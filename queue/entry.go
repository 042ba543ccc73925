package queue

import "github.com/taskq/taskq"

// entryState says which structure of a memQueue holds an entry.
type entryState uint8

const (
	stateReady entryState = iota + 1
	stateScheduled
	stateLeased
)

// entry is one task id of a memQueue. It is in exactly one of the ready
// lists, the scheduled heap or the leased heap, as state says.
type entry struct {
	id string
	// typ is the task type (for the caps of taskq.Limits); may be empty.
	typ string
	// owner is the task's owner, for fair sharing (see readyList).
	owner string
	// round is the entry's round while ready (see readyList).
	round int64
	// key is the run-at (scheduled) or the lease deadline (leased), in Unix
	// nanoseconds.
	key int64
	// seq orders entries with the same key: the order they got it.
	seq uint64
	// token fences the current lease (leased entries only).
	token int64
	// prev and next link the ready list holding the entry.
	prev, next *entry
	// idx is the position in the heap holding the entry.
	idx   int32
	prio  int8
	state entryState
}

// priority is the entry's priority.
func (e *entry) priority() taskq.TaskPriority { return taskq.TaskPriority(e.prio) }

// entryHeap is an indexed min-heap ordered by (key, seq); each entry knows
// its index, so removal and re-keying are O(log n).
type entryHeap []*entry

func (h entryHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	if a.key != b.key {
		return a.key < b.key
	}
	return a.seq < b.seq
}

func (h entryHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = int32(i)
	h[j].idx = int32(j)
}

func (h *entryHeap) push(e *entry) {
	e.idx = int32(len(*h))
	*h = append(*h, e)
	h.up(len(*h) - 1)
}

// pop removes and returns the smallest entry; the heap must not be empty.
func (h *entryHeap) pop() *entry {
	return h.remove(0)
}

// remove takes out the entry at index i.
func (h *entryHeap) remove(i int) *entry {
	old := *h
	n := len(old) - 1
	e := old[i]
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*h = old[:n]
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
	e.idx = -1
	return e
}

// fix restores the order after the key of the entry at index i changed.
func (h entryHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h entryHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

// down sifts the entry at i0 down and reports whether it moved.
func (h entryHeap) down(i0 int) bool {
	n := len(h)
	i := i0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
