package redisstore

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
)

var internalSeq atomic.Int64

// newInternalStore returns a Store on a fresh prefix of srv, closed when
// the test ends.
func newInternalStore(t *testing.T, srv *testenv.Redis) *Store {
	t.Helper()
	s, err := NewFromURL(srv.URL(), Config{KeyPrefix: fmt.Sprintf("u%d-%d", time.Now().UnixNano()%1e9, internalSeq.Add(1))})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// holdUpdates makes the next UpdateTask and UpdateAttempt calls wait as if
// a merged call were in flight; releaseUpdates(n) waits until n are
// pending and sends them, as the call in flight would on returning, in one
// script run.
func holdUpdates(s *Store) { s.updates.Hold() }

func pendingUpdates(s *Store) int { return s.updates.Pending() }

func releaseUpdates(t *testing.T, s *Store, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return pendingUpdates(s) == n }, 10*time.Second, time.Millisecond)
	s.updates.Flush()
}

// TestMergedUpdatesKeepIndexes sends updates of every kind in one script
// run (completions, retries, a stale attempt, a missing task, a failed
// status condition, and one task updated twice, whose second update must
// see the first), then checks every reply and that the indexes and
// counters match the records.
func TestMergedUpdatesKeepIndexes(t *testing.T) {
	srv := testenv.StartRedis(t)
	s := newInternalStore(t, srv)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)

	var ts []*taskq.Task
	for i := range 24 {
		ts = append(ts, &taskq.Task{
			ID: taskq.NewID(), Type: "t" + strconv.Itoa(i%2), Queue: "q" + strconv.Itoa(i%3), Owner: []string{"", "alice"}[i%2],
			Status: taskq.StatusPending, Created: now, Updated: now, RunAt: now, MaxRetries: 3,
		})
	}
	require.NoError(t, s.CreateTasks(ctx, ts))
	// extra stays pending: rescheduling it removes and adds its entry in
	// the same pending set.
	extra := &taskq.Task{ID: taskq.NewID(), Type: "t0", Queue: "q0", Status: taskq.StatusPending,
		Created: now, Updated: now, RunAt: now, MaxRetries: 3}
	require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{extra}))
	ids := make([]string, len(ts))
	for i, tk := range ts {
		ids[i] = tk.ID
	}
	started, err := s.StartTasks(ctx, ids, now)
	require.NoError(t, err)
	require.Len(t, started, len(ts))
	checkIndexes(t, s)

	type call struct {
		name string
		run  func() error
		want error // matched with errors.Is; nil: success
	}
	done := func(tk *taskq.Task) *taskq.Task {
		c := *tk
		at := now.Add(time.Second)
		c.Status, c.CompletedAt, c.Updated = taskq.StatusCompleted, &at, at
		return &c
	}
	retry := func(tk *taskq.Task) *taskq.Task {
		c := *tk
		c.Status, c.RunAt, c.RetryCount, c.Updated = taskq.StatusPending, now.Add(time.Minute), 1, now.Add(time.Second)
		return &c
	}
	var calls []call
	for _, tk := range started[:12] {
		calls = append(calls, call{"complete " + tk.ID, func() error { return s.UpdateAttempt(ctx, done(tk), 1) }, nil})
	}
	for _, tk := range started[12:18] {
		calls = append(calls, call{"retry " + tk.ID, func() error {
			return s.UpdateTask(ctx, retry(tk), taskq.StatusRunning)
		}, nil})
	}
	calls = append(calls,
		call{"stale attempt", func() error { return s.UpdateAttempt(ctx, done(started[18]), 2) }, taskq.ErrConflict},
		call{"missing", func() error {
			c := done(started[19])
			c.ID = taskq.NewID()
			return s.UpdateAttempt(ctx, c, 1)
		}, taskq.ErrNotFound},
		call{"wrong status", func() error { return s.UpdateTask(ctx, done(started[20]), taskq.StatusPending) }, taskq.ErrConflict},
		// started[21]: completed, then (same batch) back to pending, which
		// must find it completed.
		call{"complete twice-updated", func() error { return s.UpdateAttempt(ctx, done(started[21]), 1) }, nil},
		call{"requeue twice-updated", func() error {
			return s.UpdateTask(ctx, retry(started[21]), taskq.StatusCompleted)
		}, nil},
		// started[22]: cancelled, then a stale completion in the same batch.
		call{"cancel", func() error {
			c := *started[22]
			at := now.Add(time.Second)
			c.Status, c.CompletedAt, c.Updated = taskq.StatusCancelled, &at, at
			return s.UpdateTask(ctx, &c)
		}, nil},
		call{"complete after cancel", func() error { return s.UpdateAttempt(ctx, done(started[22]), 1) }, taskq.ErrConflict},
		call{"reschedule pending", func() error {
			c := *extra
			c.RunAt = now.Add(time.Hour)
			return s.UpdateTask(ctx, &c, taskq.StatusPending)
		}, nil},
	)

	holdUpdates(s)
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.run()
		}()
		// One at a time, so the batch holds them in this order.
		require.Eventually(t, func() bool { return pendingUpdates(s) == i+1 }, 10*time.Second, time.Millisecond)
	}
	releaseUpdates(t, s, len(calls))
	wg.Wait()
	for i, c := range calls {
		if c.want == nil {
			require.NoError(t, errs[i], c.name)
		} else {
			require.ErrorIs(t, errs[i], c.want, c.name)
		}
	}

	want := map[string]taskq.TaskStatus{}
	for i, tk := range started {
		switch {
		case i < 12:
			want[tk.ID] = taskq.StatusCompleted
		case i < 18, i == 21:
			want[tk.ID] = taskq.StatusPending
		case i == 22:
			want[tk.ID] = taskq.StatusCancelled
		default:
			want[tk.ID] = taskq.StatusRunning
		}
	}
	want[extra.ID] = taskq.StatusPending
	for id, st := range want {
		got, err := s.GetTask(ctx, id)
		require.NoError(t, err)
		require.Equal(t, st, got.Status, id)
	}
	checkIndexes(t, s)
}

// TestMergedUpdatesClose closes the Store while updates wait for a merged
// call: they end with an error matching taskq.ErrUnavailable, and Close
// returns (goleak checks no goroutine is left).
func TestMergedUpdatesClose(t *testing.T) {
	srv := testenv.StartRedis(t)
	s, err := NewFromURL(srv.URL(), Config{KeyPrefix: fmt.Sprintf("c%d", internalSeq.Add(1))})
	require.NoError(t, err)
	ctx := t.Context()
	now := time.Now().UTC()
	tk := &taskq.Task{ID: taskq.NewID(), Type: "x", Queue: "q", Status: taskq.StatusPending, Created: now, Updated: now, RunAt: now}
	require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{tk}))

	holdUpdates(s)
	errc := make(chan error, 3)
	for range 3 {
		go func() { errc <- s.UpdateTask(ctx, tk) }()
	}
	require.Eventually(t, func() bool { return pendingUpdates(s) == 3 }, 10*time.Second, time.Millisecond)
	require.NoError(t, s.Close())
	s.updates.Flush() // what the call in flight does on returning
	for range 3 {
		require.ErrorIs(t, <-errc, taskq.ErrUnavailable)
	}
	require.ErrorIs(t, s.UpdateTask(ctx, tk), taskq.ErrUnavailable)
}

// TestMergedUpdatesCallerGivesUp: a caller whose context ends stops
// waiting; the others in its batch are unaffected.
func TestMergedUpdatesCallerGivesUp(t *testing.T) {
	srv := testenv.StartRedis(t)
	s := newInternalStore(t, srv)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	a := &taskq.Task{ID: taskq.NewID(), Type: "x", Queue: "q", Status: taskq.StatusPending, Created: now, Updated: now, RunAt: now}
	b := &taskq.Task{ID: taskq.NewID(), Type: "x", Queue: "q", Status: taskq.StatusPending, Created: now, Updated: now, RunAt: now}
	require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{a, b}))

	holdUpdates(s)
	short, cancel := context.WithCancel(ctx)
	errA := make(chan error, 1)
	go func() {
		c := *a
		c.Priority = taskq.PriorityHigh
		errA <- s.UpdateTask(short, &c)
	}()
	require.Eventually(t, func() bool { return pendingUpdates(s) == 1 }, 10*time.Second, time.Millisecond)
	errB := make(chan error, 1)
	go func() {
		c := *b
		c.Priority = taskq.PriorityHigh
		errB <- s.UpdateTask(ctx, &c)
	}()
	cancel()
	require.ErrorIs(t, <-errA, context.Canceled)
	releaseUpdates(t, s, 2)
	require.NoError(t, <-errB)
	got, err := s.GetTask(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.PriorityHigh, got.Priority)
	checkIndexes(t, s)
}

// checkIndexes recomputes, from the records, the index of all ids, the
// status, type, queue, owner, pending and finished indexes, the
// idempotency keys, the counts and the owners' active and metadata
// counters, and requires the stored ones to match.
func checkIndexes(t *testing.T, s *Store) {
	t.Helper()
	ctx := t.Context()
	do := func(args ...string) []string {
		out, err := s.client.Do(ctx, s.client.B().Arbitrary(args[0]).Keys(args[1]).Args(args[2:]...).Build()).AsStrSlice()
		require.NoError(t, err)
		return out
	}
	doMap := func(args ...string) map[string]string {
		out, err := s.client.Do(ctx, s.client.B().Arbitrary(args[0]).Keys(args[1]).Args(args[2:]...).Build()).AsStrMap()
		require.NoError(t, err)
		return out
	}
	tag := s.k.tag
	byStatus := map[string][]string{}
	byAttr := map[string][]string{} // index key -> ids (type, queue, owner)
	pending := map[string][]string{}
	idem := map[string]string{}
	var fin []string
	counts := map[string]string{}
	active := map[string]int{}
	mdBytes := map[string]int{}
	all := do("ZRANGE", s.k.all, "0", "-1")
	require.Len(t, do("KEYS", tag+":t:*"), len(all), "records and the index of all ids")
	for _, id := range all {
		r := doMap("HGETALL", s.k.task(id))
		st, q, y, o := r["s"], r["q"], r["y"], r["o"]
		byStatus[st] = append(byStatus[st], id)
		byAttr[tag+":y:"+y] = append(byAttr[tag+":y:"+y], id)
		byAttr[tag+":q:"+q] = append(byAttr[tag+":q:"+q], id)
		if o != "" {
			byAttr[tag+":o:"+o] = append(byAttr[tag+":o:"+o], id)
		}
		if k := r["k"]; k != "" {
			idem[strconv.Itoa(len(o))+":"+o+k] = id
		}
		if md := r["md"]; md != "" {
			mdBytes["m:"+o] += len(md)
		}
		if st == "pending" {
			pending[q] = append(pending[q], id)
			ra, ok := decTime(r["ra"])
			require.True(t, ok, "run_at of %s", id)
			score, err := s.client.Do(ctx, s.client.B().Zscore().Key(tag+":pq:"+q).Member(id).Build()).AsInt64()
			require.NoError(t, err, "pending set of %s holds %s", q, id)
			require.Equal(t, ra.UnixMicro(), score, "score of %s", id)
		}
		if st == "completed" || st == "cancelled" {
			fin = append(fin, r["ca"]+id)
		}
		f := strconv.Itoa(len(q)) + ":" + q + strconv.Itoa(len(y)) + ":" + y + st
		n, _ := strconv.Atoi(counts[f])
		counts[f] = strconv.Itoa(n + 1)
		if st == "pending" || st == "running" || st == "failed" {
			active["a:"+o]++
		}
	}
	sorted := func(l []string) []string {
		l = append([]string{}, l...)
		sort.Strings(l)
		return l
	}
	for _, st := range taskq.Statuses() {
		require.Equal(t, sorted(byStatus[string(st)]), sorted(do("ZRANGE", tag+":s:"+string(st), "0", "-1")), "status index %s", st)
	}
	for q, ids := range pending {
		require.Equal(t, sorted(ids), sorted(do("ZRANGE", tag+":pq:"+q, "0", "-1")), "pending set of %s", q)
	}
	for _, q := range []string{"q0", "q1", "q2", "q"} {
		if _, ok := pending[q]; !ok {
			require.Empty(t, do("ZRANGE", tag+":pq:"+q, "0", "-1"), "pending set of %s", q)
		}
	}
	for k, ids := range byAttr {
		require.Equal(t, sorted(ids), sorted(do("ZRANGE", k, "0", "-1")), "index %s", k)
	}
	for _, k := range do("KEYS", tag+":[yqo]:*") {
		require.Contains(t, byAttr, k, "index %s of no record", k)
	}
	require.Equal(t, idem, doMap("HGETALL", tag+":idem"), "idempotency keys")
	require.Equal(t, sorted(fin), sorted(do("ZRANGE", tag+":fin", "0", "-1")), "finished index")
	require.Equal(t, counts, doMap("HGETALL", tag+":counts"), "counts")
	usage := doMap("HGETALL", s.k.usage)
	for f, v := range usage {
		switch f[0] {
		case 'a':
			require.Equal(t, strconv.Itoa(active[f]), v, "usage %s", f)
		case 'm':
			require.Equal(t, strconv.Itoa(mdBytes[f]), v, "usage %s", f)
		}
	}
	for f, n := range mdBytes {
		require.Equal(t, strconv.Itoa(n), usage[f], "usage %s", f)
	}
	for f, n := range active {
		require.Equal(t, strconv.Itoa(n), usage[f], "usage %s", f)
	}
}

// TestStartStopsAtCorruptRecord: a record whose attempts field is not a
// number stops StartTasks with an error; the tasks started before it keep
// indexes and counters that match their records.
func TestStartStopsAtCorruptRecord(t *testing.T) {
	srv := testenv.StartRedis(t)
	s := newInternalStore(t, srv)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var ids []string
	for range 3 {
		tk := &taskq.Task{ID: taskq.NewID(), Type: "x", Queue: "q", Status: taskq.StatusPending, Created: now, Updated: now, RunAt: now}
		require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{tk}))
		ids = append(ids, tk.ID)
	}
	require.NoError(t, s.client.Do(ctx, s.client.B().Hset().Key(s.k.task(ids[1])).FieldValue().FieldValue("a", "x").Build()).Error())
	_, err := s.StartTasks(ctx, ids, now)
	require.ErrorContains(t, err, "attempts is not a number")
	got, err := s.GetTask(ctx, ids[0])
	require.NoError(t, err)
	require.Equal(t, taskq.StatusRunning, got.Status, "started before the corrupt record")
	checkIndexes(t, s)
}

// TestStartAfterScriptFlush: StartTasks, whose script runs inside a
// transaction (no rueidis fallback there), still works on a server that
// lost its scripts (restart, SCRIPT FLUSH, a new cluster node).
func TestStartAfterScriptFlush(t *testing.T) {
	srv := testenv.StartRedis(t)
	s := newInternalStore(t, srv)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	tk := &taskq.Task{ID: taskq.NewID(), Type: "x", Queue: "q", Status: taskq.StatusPending, Created: now, Updated: now, RunAt: now}
	require.NoError(t, s.CreateTasks(ctx, []*taskq.Task{tk}))
	_, err := srv.Do("SCRIPT", "FLUSH")
	require.NoError(t, err)
	started, err := s.StartTasks(ctx, []string{tk.ID, tk.ID}, now)
	require.NoError(t, err)
	require.Len(t, started, 1)
	require.Equal(t, taskq.StatusRunning, started[0].Status)
	require.Equal(t, 1, started[0].Attempts)
	checkIndexes(t, s)
}
