package redisqueue_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testclock"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
)

// fairModel is what the Redis keys of one queue must hold: the round of
// every ready entry and, per priority, the count and latest round of each
// owner with ready entries (nothing else: the owner rounds stay bounded by
// the owners with ready entries).
type fairModel struct {
	prio   map[string]taskq.TaskPriority // every queued id
	owner  map[string]string
	typ    map[string]string
	ready  [taskq.NumPriorities]map[string]int64 // id -> round
	cnt    [taskq.NumPriorities]map[string]int64 // owner -> ready entries
	last   [taskq.NumPriorities]map[string]int64 // owner -> latest round
	sched  map[string]int64                      // id -> run-at (ms)
	leased map[string]taskq.Lease
}

func newFairModel() *fairModel {
	m := &fairModel{prio: map[string]taskq.TaskPriority{}, owner: map[string]string{}, typ: map[string]string{},
		sched: map[string]int64{}, leased: map[string]taskq.Lease{}}
	for p := range taskq.NumPriorities {
		m.ready[p], m.cnt[p], m.last[p] = map[string]int64{}, map[string]int64{}, map[string]int64{}
	}
	return m
}

// makeReady gives id its round: the current one (lowest ready, 0 when
// none) if its owner has nothing ready, else the one after its owner's
// latest.
func (m *fairModel) makeReady(id string) {
	p, o := m.prio[id], m.owner[id]
	cur, first := int64(0), true
	for _, r := range m.ready[p] {
		if first || r < cur {
			cur, first = r, false
		}
	}
	r := cur
	if m.cnt[p][o] > 0 && m.last[p][o] >= cur {
		r = m.last[p][o] + 1
	}
	m.ready[p][id] = r
	m.cnt[p][o]++
	m.last[p][o] = r
}

// leave takes a ready id out of its ready set.
func (m *fairModel) leave(id string) {
	p, o := m.prio[id], m.owner[id]
	delete(m.ready[p], id)
	if m.cnt[p][o]--; m.cnt[p][o] == 0 {
		delete(m.cnt[p], o)
		delete(m.last[p], o)
	}
}

// forget drops id wherever it is.
func (m *fairModel) forget(id string) {
	if _, ok := m.ready[m.prio[id]][id]; ok {
		m.leave(id)
	}
	delete(m.sched, id)
	delete(m.leased, id)
	delete(m.prio, id)
	delete(m.owner, id)
	delete(m.typ, id)
}

// promote makes the due scheduled ids ready, earliest first (then by id,
// as the scheduled zset orders them).
func (m *fairModel) promote(now int64) {
	var due []string
	for id, at := range m.sched {
		if at <= now {
			due = append(due, id)
		}
	}
	slices.SortFunc(due, func(a, b string) int {
		if m.sched[a] != m.sched[b] {
			return int(m.sched[a] - m.sched[b])
		}
		return compareStrings(a, b)
	})
	for _, id := range due {
		delete(m.sched, id)
		m.makeReady(id)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sorted returns the ready ids of p in lease order: by round, then by id
// (the zset's order inside a round).
func (m *fairModel) sorted(p int) []string {
	var out []string
	for id := range m.ready[p] {
		out = append(out, id)
	}
	slices.SortFunc(out, func(a, b string) int {
		if ra, rb := m.ready[p][a], m.ready[p][b]; ra != rb {
			return int(ra - rb)
		}
		return compareStrings(a, b)
	})
	return out
}

// TestOwnerRoundsFollowModel runs random enqueues (single and batched,
// ready and scheduled), strict, weighted and limited leases, removals,
// acks and requeues with owners coming and going, and checks after every
// step the rounds in the ready zsets and the owner-rounds hashes against a
// model: rounds are given as documented, leases follow them, and the
// owner-rounds hashes hold the owners with ready entries and nothing else
// (so they stay bounded however many owners come and go).
func TestOwnerRoundsFollowModel(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			runOwnerRoundsModel(t, srv.URL(), seed, 300)
		})
	}
}

func runOwnerRoundsModel(t *testing.T, url string, seed uint64, steps int) {
	clock := testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	prefix := uniquePrefix()
	q := newQueue(t, url, redisqueue.Config{KeyPrefix: prefix, Now: clock.Now})
	ctx := ctxT(t)
	rng := rand.New(rand.NewPCG(seed, seed))
	m := newFairModel()
	seq, fresh := 0, 0
	prios := []taskq.TaskPriority{taskq.PriorityMedium, taskq.PriorityHigh}
	owners := []string{"", "a", "b", "c"}
	nowMs := func() int64 { return clock.Now().UnixMilli() }
	newEntry := func() taskq.QueueEntry {
		seq++
		e := taskq.QueueEntry{ID: fmt.Sprintf("e%05d", seq), Priority: prios[rng.IntN(len(prios))]}
		if rng.IntN(4) == 0 {
			fresh++ // an owner with a burst that comes and goes
			e.Owner = fmt.Sprintf("u%04d", fresh)
		} else {
			e.Owner = owners[rng.IntN(len(owners))]
		}
		if rng.IntN(3) == 0 {
			e.Type = "t"
		}
		if rng.IntN(4) == 0 {
			e.RunAt = clock.Now().Add(time.Duration(1+rng.IntN(3000)) * time.Millisecond)
		}
		return e
	}
	enqueue := func(es []taskq.QueueEntry) {
		n, err := q.EnqueueNew(ctx, "q", es...)
		require.NoError(t, err)
		want := 0
		for _, e := range es {
			if _, ok := m.prio[e.ID]; ok {
				continue
			}
			want++
			m.prio[e.ID], m.owner[e.ID], m.typ[e.ID] = e.Priority, e.Owner, e.Type
			if at := e.RunAt.UnixMilli(); !e.RunAt.IsZero() && at > nowMs() {
				m.sched[e.ID] = at
			} else {
				m.makeReady(e.ID)
			}
		}
		require.Equal(t, want, n, "entries added")
	}
	leased := func(ls []taskq.Lease) {
		for _, l := range ls {
			_, ok := m.ready[m.prio[l.ID]][l.ID]
			require.True(t, ok, "leased %s is ready in the model", l.ID)
			m.leave(l.ID)
			m.leased[l.ID] = l
		}
	}
	anyQueued := func() string {
		var all []string
		for id := range m.prio {
			all = append(all, id)
		}
		if len(all) == 0 {
			return "none"
		}
		slices.Sort(all)
		return all[rng.IntN(len(all))]
	}
	anyLeased := func() (taskq.Lease, bool) {
		var all []string
		for id := range m.leased {
			all = append(all, id)
		}
		if len(all) == 0 {
			return taskq.Lease{}, false
		}
		slices.Sort(all)
		return m.leased[all[rng.IntN(len(all))]], true
	}

	for step := range steps {
		var op string
		switch k := rng.IntN(20); {
		case k < 4:
			op = "enqueue one"
			e := newEntry()
			if rng.IntN(8) == 0 && len(m.prio) > 0 {
				e.ID = anyQueued() // present: left alone
			}
			enqueue([]taskq.QueueEntry{e})
		case k < 7:
			op = "enqueue batch"
			es := make([]taskq.QueueEntry, 1+rng.IntN(8))
			for i := range es {
				es[i] = newEntry()
			}
			if rng.IntN(4) == 0 {
				es = append(es, es[0]) // repeated in the call
			}
			enqueue(es)
		case k < 11:
			op = "lease strict"
			max := 1 + rng.IntN(5)
			m.promote(nowMs())
			want := []string{}
			for p := taskq.NumPriorities - 1; p >= 0 && len(want) < max; p-- {
				s := m.sorted(p)
				want = append(want, s[:min(len(s), max-len(want))]...)
			}
			ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: max, TTL: time.Hour})
			require.NoError(t, err)
			require.Equal(t, want, ids(ls), "step %d: strict lease in round order", step)
			leased(ls)
		case k < 12:
			op = "lease weighted"
			max := 1 + rng.IntN(5)
			m.promote(nowMs())
			ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: max, TTL: time.Hour, Weights: []int{1, 1, 1, 1}})
			require.NoError(t, err)
			byP := map[int][]string{}
			for _, l := range ls {
				byP[int(l.Priority)] = append(byP[int(l.Priority)], l.ID)
			}
			for p, got := range byP {
				require.Equal(t, m.sorted(p)[:len(got)], got, "step %d: weighted lease takes priority %d in round order", step, p)
			}
			leased(ls)
		case k < 14:
			op = "lease limited"
			max := 1 + rng.IntN(5)
			m.promote(nowMs())
			busy := 0
			for id := range m.leased {
				if m.typ[id] == "t" {
					busy++
				}
			}
			want := []string{}
			for p := taskq.NumPriorities - 1; p >= 0; p-- {
				for _, id := range m.sorted(p) {
					if len(want) == max {
						break
					}
					if m.typ[id] == "t" {
						if busy >= 2 {
							continue
						}
						busy++
					}
					want = append(want, id)
				}
			}
			ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: max, TTL: time.Hour,
				Limits: &taskq.Limits{TypeConcurrency: map[string]int{"t": 2}}})
			require.NoError(t, err)
			require.Equal(t, want, ids(ls), "step %d: limited lease scans in round order", step)
			leased(ls)
		case k < 16:
			op = "remove"
			rm := []string{anyQueued(), anyQueued(), "absent"}
			require.NoError(t, q.Remove(ctx, "q", rm...))
			for _, id := range rm {
				if _, ok := m.prio[id]; ok {
					m.forget(id)
				}
			}
		case k < 17:
			op = "ack"
			if l, ok := anyLeased(); ok {
				require.NoError(t, q.Ack(ctx, "q", l))
				m.forget(l.ID)
			}
		case k < 19:
			op = "requeue"
			if l, ok := anyLeased(); ok {
				e := taskq.QueueEntry{ID: l.ID, Priority: l.Priority, Token: l.Token}
				if rng.IntN(2) == 0 {
					e.Owner = m.owner[l.ID] // the worker passes the record's owner, or none
				}
				if rng.IntN(3) == 0 {
					e.RunAt = clock.Now().Add(time.Second)
				}
				require.NoError(t, q.Requeue(ctx, "q", e))
				delete(m.leased, l.ID)
				if e.RunAt.IsZero() {
					m.makeReady(l.ID)
				} else {
					m.sched[l.ID] = e.RunAt.UnixMilli()
				}
			}
		default:
			op = "advance"
			clock.Advance(time.Duration(1+rng.IntN(1500)) * time.Millisecond)
		}
		checkFairKeys(ctx, t, q, prefix, m, fmt.Sprintf("step %d (%s)", step, op))
	}

	// Drain: every owner-rounds hash is gone with the last ready entry.
	clock.Advance(time.Hour)
	for {
		ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 7, TTL: time.Hour})
		require.NoError(t, err)
		if len(ls) == 0 {
			break
		}
	}
	tag := "{" + prefix + ":q}"
	for p := range taskq.NumPriorities {
		n, err := q.Client().Do(ctx, q.Client().B().Exists().Key(tag+":fair:"+taskq.TaskPriority(p).String()).Build()).AsInt64()
		require.NoError(t, err)
		require.Zero(t, n, "owner rounds of %s after the drain", taskq.TaskPriority(p))
	}
	require.Greater(t, fresh, 20, "many owners came and went")
}

// checkFairKeys compares the ready zsets, the owner-rounds hashes and the
// owners hash with m.
func checkFairKeys(ctx context.Context, t *testing.T, q *redisqueue.Queue, prefix string, m *fairModel, at string) {
	t.Helper()
	c := q.Client()
	tag := "{" + prefix + ":q}"
	for p := range taskq.NumPriorities {
		name := taskq.TaskPriority(p).String()
		zs, err := c.Do(ctx, c.B().Zrange().Key(tag+":rounds:"+name).Min("0").Max("-1").Withscores().Build()).AsZScores()
		require.NoError(t, err)
		got := map[string]int64{}
		for _, z := range zs {
			got[z.Member] = int64(z.Score)
		}
		require.Equal(t, m.ready[p], got, "%s: rounds of %s", at, name)
		fair, err := c.Do(ctx, c.B().Hgetall().Key(tag+":fair:"+name).Build()).AsStrMap()
		require.NoError(t, err)
		want := map[string]string{}
		for o, n := range m.cnt[p] {
			want["n:"+o] = strconv.FormatInt(n, 10)
			want["r:"+o] = strconv.FormatInt(m.last[p][o], 10)
		}
		require.Equal(t, want, fair, "%s: owner rounds of %s", at, name)
	}
	owners, err := c.Do(ctx, c.B().Hgetall().Key(tag+":owners").Build()).AsStrMap()
	require.NoError(t, err)
	want := map[string]string{}
	for id, o := range m.owner {
		if o != "" {
			want[id] = o
		}
	}
	require.Equal(t, want, owners, "%s: owners", at)
}

// TestIDsPlacedNowhereArePlacedAgain: ids left in the entries hash but in
// no ready set, scheduled or leased (here: in the ready list of an earlier
// version, {prefix:queue}:ready:<priority>, which is no longer read) are
// not leased, and are placed again, with their stored priority and in
// rounds, by an Enqueue of the same ids (the worker's reconciler does
// that) or a Requeue; ids that are placed are left alone.
func TestIDsPlacedNowhereArePlacedAgain(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	prefix := uniquePrefix()
	q := newQueue(t, srv.URL(), redisqueue.Config{KeyPrefix: prefix})
	ctx := ctxT(t)
	c := q.Client()
	tag := "{" + prefix + ":q}"
	// The state an earlier version left: ids in a ready list and the
	// entries hash (priority digits), one of them typed.
	require.NoError(t, c.Do(ctx, c.B().Rpush().Key(tag+":ready:medium").Element("x1", "x2", "x3", "y").Build()).Error())
	require.NoError(t, c.Do(ctx, c.B().Rpush().Key(tag+":ready:high").Element("z").Build()).Error())
	require.NoError(t, c.Do(ctx, c.B().Hset().Key(tag+":entries").FieldValue().
		FieldValue("x1", "1").FieldValue("x2", "1").FieldValue("x3", "1").FieldValue("y", "1").FieldValue("z", "2").Build()).Error())
	require.NoError(t, c.Do(ctx, c.B().Hset().Key(tag+":types").FieldValue().FieldValue("x3", "t").Build()).Error())
	require.NoError(t, q.Enqueue(ctx, "q", taskq.QueueEntry{ID: "w", Priority: taskq.PriorityLow}))

	ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: time.Hour})
	require.NoError(t, err)
	require.Equal(t, []string{"w"}, ids(ls), "the old list is not read (and does not break the lease)")

	// A batch, as the reconciler sends it: the stranded ids come back with
	// their stored priority (not the one given) and the given owners;
	// w (leased) is left alone.
	n, err := q.EnqueueNew(ctx, "q",
		taskq.QueueEntry{ID: "x1", Priority: taskq.PriorityLow, Owner: "a"},
		taskq.QueueEntry{ID: "x2", Priority: taskq.PriorityLow, Owner: "a"},
		taskq.QueueEntry{ID: "x3", Priority: taskq.PriorityLow, Owner: "b", Type: "t"},
		taskq.QueueEntry{ID: "w", Priority: taskq.PriorityLow})
	require.NoError(t, err)
	require.Equal(t, 3, n)
	// A single entry takes the same way.
	n, err = q.EnqueueNew(ctx, "q", taskq.QueueEntry{ID: "y", Priority: taskq.PriorityMedium, Owner: "a"})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	// Placed now: enqueued again, nothing changes.
	n, err = q.EnqueueNew(ctx, "q", taskq.QueueEntry{ID: "y", Priority: taskq.PriorityMedium, Owner: "a"},
		taskq.QueueEntry{ID: "x1", Priority: taskq.PriorityMedium})
	require.NoError(t, err)
	require.Zero(t, n)
	st, err := q.Stats(ctx, "q")
	require.NoError(t, err)
	require.Equal(t, taskq.QueueStats{Ready: [4]int64{0, 4, 0, 0}, Leased: 1}, st)

	// A Requeue without a token places z again, at its stored priority.
	require.NoError(t, q.Requeue(ctx, "q", taskq.QueueEntry{ID: "z", Priority: taskq.PriorityLow}))
	require.NoError(t, q.Requeue(ctx, "q", taskq.QueueEntry{ID: "z", Priority: taskq.PriorityLow}), "placed: left alone")

	ls, err = q.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: time.Hour,
		Limits: &taskq.Limits{TypeConcurrency: map[string]int{"t": 5}}})
	require.NoError(t, err)
	got := ids(ls)
	require.Len(t, got, 5)
	require.Equal(t, "z", got[0])
	require.Equal(t, taskq.PriorityHigh, ls[0].Priority)
	// Rounds: x1 and x3 (owners a and b) first, then x2, then y (a's third).
	require.ElementsMatch(t, []string{"x1", "x3"}, got[1:3])
	require.Equal(t, []string{"x2", "y"}, got[3:])
	busy, err := c.Do(ctx, c.B().Hget().Key(tag+":busy").Field("t").Build()).ToString()
	require.NoError(t, err)
	require.Equal(t, "1", busy, "x3 keeps its stored type")
}
