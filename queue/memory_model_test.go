package queue_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testclock"
	"github.com/taskq/taskq/queue"
)

// model is a naive Queue state for one queue name: slices and linear
// scans, obviously right, checked against Memory by TestMemoryModel.
type model struct {
	entries map[string]*modelEntry
	ready   [taskq.NumPriorities][]string
	order   int
}

type modelEntry struct {
	prio  taskq.TaskPriority
	state string // "ready", "scheduled" or "leased"
	key   time.Time
	order int // when the entry got key: breaks ties
}

func (m *model) place(id string, e *modelEntry, runAt, now time.Time) {
	m.entries[id] = e
	if runAt.IsZero() || !runAt.After(now) {
		e.state = "ready"
		m.ready[e.prio] = append(m.ready[e.prio], id)
		return
	}
	m.order++
	e.state, e.key, e.order = "scheduled", runAt, m.order
}

func (m *model) setLease(e *modelEntry, deadline time.Time) {
	m.order++
	e.state, e.key, e.order = "leased", deadline, m.order
}

// sortedIn returns the ids in state, by (key, order).
func (m *model) sortedIn(state string) []string {
	var ids []string
	for id, e := range m.entries {
		if e.state == state {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		ea, eb := m.entries[a], m.entries[b]
		return cmp.Or(ea.key.Compare(eb.key), cmp.Compare(ea.order, eb.order))
	})
	return ids
}

func (m *model) enqueue(now time.Time, entries ...taskq.QueueEntry) {
	for _, e := range entries {
		if m.entries[e.ID] == nil {
			m.place(e.ID, &modelEntry{prio: e.Priority}, e.RunAt, now)
		}
	}
}

func (m *model) lease(now time.Time, max int, ttl time.Duration) []taskq.Lease {
	for _, id := range m.sortedIn("scheduled") {
		if e := m.entries[id]; !e.key.After(now) {
			e.state = "ready"
			m.ready[e.prio] = append(m.ready[e.prio], id)
		}
	}
	out := []taskq.Lease{}
	for p := taskq.NumPriorities - 1; p >= 0 && len(out) < max; p-- {
		for len(m.ready[p]) > 0 && len(out) < max {
			id := m.ready[p][0]
			m.ready[p] = m.ready[p][1:]
			m.setLease(m.entries[id], now.Add(ttl))
			out = append(out, taskq.Lease{ID: id, Priority: taskq.TaskPriority(p), Deadline: now.Add(ttl)})
		}
	}
	return out
}

func (m *model) extend(now time.Time, ids []string, ttl time.Duration) []string {
	var lost []string
	for _, id := range ids {
		if e := m.entries[id]; e != nil && e.state == "leased" {
			m.setLease(e, now.Add(ttl))
		} else {
			lost = append(lost, id)
		}
	}
	return lost
}

func (m *model) delete(id string) {
	e := m.entries[id]
	if e.state == "ready" {
		m.ready[e.prio] = slices.DeleteFunc(m.ready[e.prio], func(r string) bool { return r == id })
	}
	delete(m.entries, id)
}

func (m *model) ack(ids ...string) {
	for _, id := range ids {
		if e := m.entries[id]; e != nil && e.state == "leased" {
			m.delete(id)
		}
	}
}

func (m *model) remove(ids ...string) {
	for _, id := range ids {
		if m.entries[id] != nil {
			m.delete(id)
		}
	}
}

func (m *model) requeue(now time.Time, qe taskq.QueueEntry) {
	e := m.entries[qe.ID]
	switch {
	case e == nil:
		e = &modelEntry{prio: qe.Priority}
	case e.state != "leased":
		return
	}
	m.place(qe.ID, e, qe.RunAt, now)
}

func (m *model) reap(now time.Time, max int, ttl time.Duration) []taskq.Lease {
	out := []taskq.Lease{}
	for _, id := range m.sortedIn("leased") {
		e := m.entries[id]
		if len(out) == max || e.key.After(now) {
			break
		}
		out = append(out, taskq.Lease{ID: id, Priority: e.prio, Deadline: now.Add(ttl)})
	}
	for _, l := range out {
		m.setLease(m.entries[l.ID], l.Deadline)
	}
	return out
}

func (m *model) stats() taskq.QueueStats {
	var s taskq.QueueStats
	for p := range m.ready {
		s.Ready[p] = int64(len(m.ready[p]))
	}
	for _, e := range m.entries {
		switch e.state {
		case "scheduled":
			s.Scheduled++
		case "leased":
			s.Leased++
		}
	}
	return s
}

// TestMemoryModel runs random operations on a Memory with a fake clock and
// on the model, and requires the same results and counts after each step.
func TestMemoryModel(t *testing.T) {
	t.Parallel()
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			runModel(t, seed, 3000)
		})
	}
}

func runModel(t *testing.T, seed uint64, steps int) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(seed, 42))
	clock := testclock.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	mem := queue.NewMemory(queue.WithClock(clock.Now))
	defer mem.Close()
	mod := &model{entries: map[string]*modelEntry{}}

	var tick time.Duration // makes every run time distinct
	randID := func() string { return fmt.Sprintf("id-%02d", rng.IntN(30)) }
	randIDs := func() []string {
		ids := make([]string, rng.IntN(4))
		for i := range ids {
			ids[i] = randID()
		}
		return ids
	}
	randEntry := func() taskq.QueueEntry {
		e := taskq.QueueEntry{ID: randID(), Priority: taskq.TaskPriority(rng.IntN(taskq.NumPriorities))}
		switch rng.IntN(3) {
		case 1:
			tick += time.Nanosecond
			e.RunAt = clock.Now().Add(time.Duration(rng.IntN(5))*time.Second + tick)
		case 2:
			e.RunAt = clock.Now().Add(-time.Second)
		}
		return e
	}
	randTTL := func() time.Duration { return time.Duration(1+rng.IntN(4)) * time.Second }

	for step := range steps {
		now := clock.Now()
		var op string
		switch k := rng.IntN(10); k {
		case 0, 1:
			entries := make([]taskq.QueueEntry, 1+rng.IntN(3))
			for i := range entries {
				entries[i] = randEntry()
			}
			op = fmt.Sprintf("enqueue %v", entries)
			require.NoError(t, mem.Enqueue(ctx, "q", entries...))
			mod.enqueue(now, entries...)
		case 2, 3:
			max, ttl := 1+rng.IntN(4), randTTL()
			op = fmt.Sprintf("lease %d %s", max, ttl)
			got, err := mem.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: max, TTL: ttl})
			require.NoError(t, err)
			for i := range got {
				got[i].Token = 0 // the model has no tokens
			}
			require.Equal(t, mod.lease(now, max, ttl), got, "step %d: %s", step, op)
		case 4:
			ids, ttl := randIDs(), randTTL()
			op = fmt.Sprintf("extend %v %s", ids, ttl)
			lostLeases, err := mem.Extend(ctx, "q", anyLeases(ids...), ttl)
			var lost []string
			if len(lostLeases) > 0 {
				lost = leaseIDs(lostLeases)
			}
			require.NoError(t, err)
			require.Equal(t, mod.extend(now, ids, ttl), lost, "step %d: %s", step, op)
		case 5:
			ids := randIDs()
			op = fmt.Sprintf("ack %v", ids)
			require.NoError(t, mem.Ack(ctx, "q", anyLeases(ids...)...))
			mod.ack(ids...)
		case 6:
			e := randEntry()
			op = fmt.Sprintf("requeue %v", e)
			require.NoError(t, mem.Requeue(ctx, "q", e))
			mod.requeue(now, e)
		case 7:
			ids := randIDs()
			op = fmt.Sprintf("remove %v", ids)
			require.NoError(t, mem.Remove(ctx, "q", ids...))
			mod.remove(ids...)
		case 8:
			max, ttl := 1+rng.IntN(3), randTTL()
			op = fmt.Sprintf("reap %d %s", max, ttl)
			got, err := mem.Reap(ctx, "q", max, ttl)
			require.NoError(t, err)
			for i := range got {
				got[i].Token = 0 // the model has no tokens
			}
			require.Equal(t, mod.reap(now, max, ttl), got, "step %d: %s", step, op)
		case 9:
			d := time.Duration(rng.IntN(1500)) * time.Millisecond
			// Half the time, move exactly to the next run time or
			// deadline, to check the boundaries.
			state := []string{"scheduled", "leased"}[rng.IntN(2)]
			if next := mod.sortedIn(state); rng.IntN(2) == 0 && len(next) > 0 {
				if at := mod.entries[next[0]].key; at.After(now) {
					d = at.Sub(now)
				}
			}
			op = fmt.Sprintf("advance %s", d)
			clock.Advance(d)
		}
		s, err := mem.Stats(ctx, "q")
		require.NoError(t, err)
		require.Equal(t, mod.stats(), s, "stats after step %d: %s", step, op)
	}
}
