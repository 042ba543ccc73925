package queue

import (
	"math/rand/v2"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/flow"
)

// bucket is the token bucket of a type's start rate: tokens left at time
// at (Unix nanoseconds).
type bucket struct {
	tokens float64
	at     int64
}

// limiter decides, during one Lease under q.mu, which ready entries the
// caps of taskq.Limits let through. Within one call a refused entry stays
// refused (counts only grow and tokens only shrink), so each priority is
// walked once.
type limiter struct {
	q      *memQueue
	l      *taskq.Limits
	now    int64
	tokens map[string]float64 // available tokens of the rated types seen
	// refused memoizes the types refused during the call.
	refused map[string]bool
}

// allowed reports whether an entry of type typ may be leased now.
func (m *limiter) allowed(typ string) bool {
	if typ == "" {
		return true
	}
	if m.refused[typ] {
		return false
	}
	if !m.check(typ) {
		m.refused[typ] = true
		return false
	}
	return true
}

// check is allowed without the memo of refused types.
func (m *limiter) check(typ string) bool {
	if c := flow.TypeCap(m.l, typ); c > 0 && m.q.busy[typ] >= c {
		return false
	}
	r, ok := flow.TypeRate(m.l, typ)
	if !ok {
		return true
	}
	t, seen := m.tokens[typ]
	if !seen {
		t = float64(r.N) // a bucket never used starts full
		if b, ok := m.q.buckets[typ]; ok {
			t = flow.Refill(r, b.tokens, time.Duration(m.now-b.at))
		}
		m.tokens[typ] = t
	}
	return t >= 1
}

// took records a start of type typ.
func (m *limiter) took(typ string) {
	if _, ok := flow.TypeRate(m.l, typ); !ok {
		return
	}
	m.tokens[typ]--
	if m.q.buckets == nil {
		m.q.buckets = make(map[string]bucket)
	}
	m.q.buckets[typ] = bucket{tokens: m.tokens[typ], at: m.now}
}

// leaseLimited is Lease under caps: it takes up to p.Max entries in the
// order Lease would, skipping (leaving in place) those whose type is at its
// cap or out of start tokens, and stops when the queue is at its cap.
func (q *memQueue) leaseLimited(p taskq.LeaseParams, now, deadline int64) []taskq.Lease {
	room := p.Max
	if c := flow.QueueCap(p.Limits, p.Queue); c > 0 {
		room = min(room, c-len(q.leased))
	}
	out := []taskq.Lease{}
	if room <= 0 {
		return out
	}
	m := &limiter{q: q, l: p.Limits, now: now, tokens: map[string]float64{}, refused: map[string]bool{}}
	var cur [taskq.NumPriorities]*entry
	for i := range cur {
		cur[i] = q.ready[i].head
	}
	// head advances cur[p] to the first entry of priority p that may be
	// leased and returns it (nil: none).
	head := func(p int) *entry {
		for cur[p] != nil && !m.allowed(cur[p].typ) {
			cur[p] = cur[p].next
		}
		return cur[p]
	}
	dl := fromNanos(deadline)
	for len(out) < room {
		pick := -1
		if p.Weights != nil {
			total := 0
			for i := range cur {
				if i < len(p.Weights) && p.Weights[i] > 0 && head(i) != nil {
					total += p.Weights[i]
				}
			}
			if total > 0 {
				r := rand.IntN(total)
				for i := len(cur) - 1; i >= 0; i-- {
					if i >= len(p.Weights) || p.Weights[i] <= 0 || head(i) == nil {
						continue
					}
					if r < p.Weights[i] {
						pick = i
						break
					}
					r -= p.Weights[i]
				}
			}
		}
		if pick < 0 {
			for i := len(cur) - 1; i >= 0; i-- {
				if head(i) != nil {
					pick = i
					break
				}
			}
		}
		if pick < 0 {
			break
		}
		e := cur[pick]
		cur[pick] = e.next
		q.ready[pick].remove(e)
		q.lease(e, deadline)
		m.took(e.typ)
		out = append(out, taskq.Lease{ID: e.id, Priority: e.priority(), Deadline: dl, Token: e.token})
	}
	return out
}
