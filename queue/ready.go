package queue

// readyList holds the ready entries of one priority in lease order, shared
// fairly between owners. Each entry gets a round when it becomes ready:
// the current round (that of the first entry) when its owner has no other
// ready entry, the round after its owner's latest one otherwise. The list
// is ordered by round, and inside a round by arrival. So a burst of one
// owner's entries fills one round each, and an entry of another owner
// joins the current round: it waits for at most one entry of each owner
// with ready entries. Entries of a single owner (the empty owner included)
// keep their arrival order. Every operation but a push into a round left
// empty by removals is O(1).
type readyList struct {
	head, tail *entry
	n          int
	// base is the round of head (the current round); it never decreases.
	base int64
	// tails[r-base] is the last entry of round r, nil when the round is
	// empty.
	tails []*entry
	// owners tracks the owners with ready entries.
	owners map[string]ownerRounds
}

// ownerRounds is what a readyList knows of one owner with ready entries.
type ownerRounds struct {
	// last is the latest round given to one of the owner's entries.
	last int64
	// n counts the owner's ready entries.
	n int
}

// pushBack adds e at the end of the round its owner is due.
func (l *readyList) pushBack(e *entry) {
	if l.owners == nil {
		l.owners = make(map[string]ownerRounds)
	}
	o, ok := l.owners[e.owner]
	r := l.base
	if ok && o.last >= l.base {
		r = o.last + 1
	}
	o.last, o.n = r, o.n+1
	l.owners[e.owner] = o
	e.round = r
	i := int(r - l.base)
	for len(l.tails) <= i {
		l.tails = append(l.tails, nil)
	}
	// The entry goes after the last entry of its round or, when that round
	// is empty, of the nearest earlier round that is not.
	var after *entry
	for j := i; j >= 0 && after == nil; j-- {
		after = l.tails[j]
	}
	l.tails[i] = e
	l.insertAfter(after, e)
}

// insertAfter links e after at (at the head when at is nil).
func (l *readyList) insertAfter(at, e *entry) {
	e.prev = at
	if at == nil {
		e.next = l.head
		l.head = e
	} else {
		e.next = at.next
		at.next = e
	}
	if e.next != nil {
		e.next.prev = e
	} else {
		l.tail = e
	}
	l.n++
}

// popFront removes and returns the first entry, nil when empty.
func (l *readyList) popFront() *entry {
	e := l.head
	if e != nil {
		l.remove(e)
	}
	return e
}

// remove unlinks e, which the list holds.
func (l *readyList) remove(e *entry) {
	i := int(e.round - l.base)
	if l.tails[i] == e {
		if e.prev != nil && e.prev.round == e.round {
			l.tails[i] = e.prev
		} else {
			l.tails[i] = nil
		}
	}
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
	l.n--
	if o := l.owners[e.owner]; o.n <= 1 {
		delete(l.owners, e.owner)
	} else {
		o.n--
		l.owners[e.owner] = o
	}
	// The current round is the first entry's; the rounds before it are
	// empty and dropped.
	if l.head == nil {
		clear(l.tails)
		l.tails = l.tails[:0]
		return
	}
	if d := l.head.round - l.base; d > 0 {
		l.tails = l.tails[d:]
		l.base = l.head.round
	}
}
