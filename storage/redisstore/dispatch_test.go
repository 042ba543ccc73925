package redisstore_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/redisentry"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/redisstore"
)

// TestDispatchWritesWhatEnqueueWrites enqueues the same tasks (same ids)
// through a Client on a dispatching store (Store.Queue: the create script
// writes the entry) and through a Client on a store and a queue opened on
// their own (the Client pushes each entry after its record): ready tasks
// of several priorities and owners, a second task of one owner (its next
// round), a scheduled task, a duplicate idempotency key, a unique task
// and its duplicate, and a batch on another queue; a task stored
// completed gets no entry. Every
// key of both queues, and the set of queue names, must hold the same, and
// a lease must hand out the same ids in the same order.
func TestDispatchWritesWhatEnqueueWrites(t *testing.T) {
	srv := testenv.StartRedis(t)
	ctx := ctxT(t)

	dstore := newStore(t, srv.URL(), redisstore.Config{})
	dq, err := dstore.Queue(redisqueue.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = dq.Close() })
	require.True(t, dstore.Dispatches(dq))
	dc, err := taskq.NewClient(dstore, dq, taskq.ClientConfig{})
	require.NoError(t, err)

	pstore := newStore(t, srv.URL(), redisstore.Config{})
	pq, err := redisqueue.NewFromURL(srv.URL(), redisqueue.Config{KeyPrefix: pstore.KeyPrefix()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = pq.Close() })
	require.False(t, pstore.Dispatches(pq))
	require.False(t, dstore.Dispatches(pq))
	pc, err := taskq.NewClient(pstore, pq, taskq.ClientConfig{})
	require.NoError(t, err)

	// enqueue stores tk through both clients and requires the same outcome.
	enqueue := func(tk *taskq.Task) (ok bool) {
		t.Helper()
		_, derr := dc.EnqueueTask(ctx, tk.Clone())
		_, perr := pc.EnqueueTask(ctx, tk.Clone())
		require.Equal(t, perr == nil, derr == nil, "dispatching: %v, pushing: %v", derr, perr)
		if perr != nil {
			require.ErrorIs(t, derr, taskq.ErrDuplicate)
			require.ErrorIs(t, perr, taskq.ErrDuplicate)
		}
		return derr == nil
	}
	newTask := func(typ string, opts ...taskq.EnqueueOption) *taskq.Task {
		tk, err := dc.NewTask(typ, map[string]any{"n": 1}, opts...)
		require.NoError(t, err)
		return tk
	}
	require.True(t, enqueue(newTask("a")))
	require.True(t, enqueue(newTask("b", taskq.WithPriority(taskq.PriorityHigh), taskq.WithOwner("alice"), taskq.WithIdempotencyKey("k1"))))
	require.True(t, enqueue(newTask("b", taskq.WithPriority(taskq.PriorityHigh), taskq.WithOwner("alice"))))
	require.True(t, enqueue(newTask("c", taskq.WithPriority(taskq.PriorityLow), taskq.WithOwner("bob"), taskq.WithDelay(time.Hour))))
	require.False(t, enqueue(newTask("b", taskq.WithOwner("alice"), taskq.WithIdempotencyKey("k1"))))
	require.True(t, enqueue(newTask("u", taskq.WithUnique(taskq.UniqueOpts{Key: "one"}))))
	require.False(t, enqueue(newTask("u", taskq.WithUnique(taskq.UniqueOpts{Key: "one"}))))
	// A record created completed (an import, say) gets no entry.
	done := newTask("d")
	done.Status = taskq.StatusCompleted
	now := time.Now().UTC()
	done.CompletedAt = &now
	_, err = dstore.CreateTask(ctx, done.Clone())
	require.NoError(t, err)

	batch := []*taskq.Task{
		newTask("e", taskq.WithQueue("other")),
		newTask("e", taskq.WithQueue("other"), taskq.WithPriority(taskq.PriorityCritical), taskq.WithOwner("carol")),
		newTask("e", taskq.WithQueue("other"), taskq.WithDelay(time.Minute)),
	}
	clones := func() []*taskq.Task {
		out := make([]*taskq.Task, len(batch))
		for i, tk := range batch {
			out[i] = tk.Clone()
		}
		return out
	}
	require.NoError(t, dstore.CreateTasks(ctx, clones()))
	require.NoError(t, pstore.CreateTasks(ctx, clones()))
	var entries []taskq.QueueEntry
	for _, tk := range batch {
		e := taskq.QueueEntry{ID: tk.ID, Priority: tk.Priority, Type: tk.Type, Owner: tk.Owner}
		if tk.RunAt.After(tk.Created) {
			e.RunAt = tk.RunAt
		}
		entries = append(entries, e)
	}
	require.NoError(t, pq.Enqueue(ctx, "other", entries...))

	c := dstore.Client()
	for _, queue := range []string{taskq.DefaultQueue, "other"} {
		dkeys := redisentry.Keys(dstore.KeyPrefix(), queue)
		pkeys := redisentry.Keys(pstore.KeyPrefix(), queue)
		for i := range dkeys {
			require.Equal(t, dump(t, c, pkeys[i]), dump(t, c, dkeys[i]), "key %s", dkeys[i])
		}
	}
	// Not vacuous: the dispatching store wrote the entries it should have.
	ids := strings.Fields(dump(t, c, redisentry.Keys(dstore.KeyPrefix(), taskq.DefaultQueue)[redisentry.KeyEntries]))
	require.Len(t, ids, 2*5, "five entries (id, priority) in the default queue")
	require.Equal(t, dump(t, c, redisentry.QueuesKey(pstore.KeyPrefix())), dump(t, c, redisentry.QueuesKey(dstore.KeyPrefix())))
	require.Equal(t, taskq.DefaultQueue+" other", dump(t, c, redisentry.QueuesKey(dstore.KeyPrefix())))

	for _, queue := range []string{taskq.DefaultQueue, "other"} {
		p := taskq.LeaseParams{Queue: queue, Max: 10, TTL: time.Minute}
		dl, err := dq.Lease(ctx, p)
		require.NoError(t, err)
		pl, err := pq.Lease(ctx, p)
		require.NoError(t, err)
		require.NotEmpty(t, dl)
		require.Equal(t, leaseIDs(pl), leaseIDs(dl))
	}
}

func leaseIDs(ls []taskq.Lease) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}

// dump renders a key's value: hash fields and values, or zset members and
// scores, or set members, sorted; "" when the key does not exist.
func dump(t *testing.T, c rueidis.Client, key string) string {
	t.Helper()
	ctx := context.Background()
	typ, err := c.Do(ctx, c.B().Type().Key(key).Build()).ToString()
	require.NoError(t, err)
	var parts []string
	switch typ {
	case "none":
		return ""
	case "hash":
		m, err := c.Do(ctx, c.B().Hgetall().Key(key).Build()).AsStrMap()
		require.NoError(t, err)
		for k, v := range m {
			parts = append(parts, k+" "+v)
		}
	case "zset":
		zs, err := c.Do(ctx, c.B().Zrange().Key(key).Min("0").Max("-1").Withscores().Build()).AsZScores()
		require.NoError(t, err)
		for _, z := range zs {
			parts = append(parts, z.Member+" "+strconv.FormatFloat(z.Score, 'f', -1, 64))
		}
	case "set":
		parts, err = c.Do(ctx, c.B().Smembers().Key(key).Build()).AsStrSlice()
		require.NoError(t, err)
	default:
		t.Fatalf("key %s has type %s", key, typ)
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// testClusterQueueDoesNotDispatch: on a cluster the store's records and a
// queue's keys live in different slots, so Store.Queue gives a queue the
// store does not write into; the Client pushes the entry itself, and the
// task can be leased.
func testClusterQueueDoesNotDispatch(t *testing.T, c *testenv.RedisCluster) {
	s := newStore(t, c.URL(), redisstore.Config{})
	q, err := s.Queue(redisqueue.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = q.Close() })
	require.False(t, s.Dispatches(q))
	cl, err := taskq.NewClient(s, q, taskq.ClientConfig{})
	require.NoError(t, err)
	ctx := ctxT(t)
	tk, err := cl.Enqueue(ctx, "a", nil)
	require.NoError(t, err)
	ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: taskq.DefaultQueue, Max: 1, TTL: time.Minute})
	require.NoError(t, err)
	require.Equal(t, []string{tk.ID}, leaseIDs(ls))
}

// TestQueueSettings: Store.Queue takes the store's prefix or none, and a
// queue on a test clock is not dispatched into (the scripts read the
// server's clock).
func TestQueueSettings(t *testing.T) {
	srv := testenv.StartRedis(t)
	s := newStore(t, srv.URL(), redisstore.Config{})
	_, err := s.Queue(redisqueue.Config{KeyPrefix: s.KeyPrefix() + "x"})
	require.ErrorContains(t, err, "is not the store's")
	q, err := s.Queue(redisqueue.Config{Now: time.Now})
	require.NoError(t, err)
	require.False(t, s.Dispatches(q))
	q2, err := s.Queue(redisqueue.Config{KeyPrefix: s.KeyPrefix()})
	require.NoError(t, err)
	require.True(t, s.Dispatches(q2))
	require.NoError(t, q2.Close())
	require.NoError(t, q.Close())
	// The queues closed, the shared client still serves the store.
	require.NoError(t, s.Ping(ctxT(t)))
}

// TestDispatchRemovesFinishedEntries: a dispatching store removes a task's
// queue entry where it stores the task's terminal status or deletes it,
// wherever the entry is: ready (cancelled), scheduled (cancelled), leased
// (completed by its attempt), moved to the DLQ, deleted. A task that fails
// and waits for a retry keeps its entry. The queue says so to the worker
// (RemovesEntryOnFinish), for this store only.
func TestDispatchRemovesFinishedEntries(t *testing.T) {
	srv := testenv.StartRedis(t)
	ctx := ctxT(t)
	s := newStore(t, srv.URL(), redisstore.Config{})
	q, err := s.Queue(redisqueue.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = q.Close() })
	require.True(t, q.RemovesEntryOnFinish(s))
	other := newStore(t, srv.URL(), redisstore.Config{})
	require.False(t, q.RemovesEntryOnFinish(other))

	c, err := taskq.NewClient(s, q, taskq.ClientConfig{})
	require.NoError(t, err)
	enqueue := func(opts ...taskq.EnqueueOption) *taskq.Task {
		tk, err := c.Enqueue(ctx, "job", map[string]any{"n": 1}, append(opts, taskq.WithOwner("alice"))...)
		require.NoError(t, err)
		return tk
	}
	leased := enqueue(taskq.WithPriority(taskq.PriorityHigh))
	failing := enqueue(taskq.WithPriority(taskq.PriorityHigh))
	ready := enqueue()
	later := enqueue(taskq.WithDelay(time.Hour))
	dead := enqueue()
	gone := enqueue()
	entries := func() int {
		st, err := q.Stats(ctx, taskq.DefaultQueue)
		require.NoError(t, err)
		return int(st.Total())
	}
	require.Equal(t, 6, entries())

	ls, err := q.Lease(ctx, taskq.LeaseParams{Queue: taskq.DefaultQueue, Max: 2, TTL: time.Minute})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{leased.ID, failing.ID}, leaseIDs(ls))
	started, err := s.StartTasks(ctx, []string{leased.ID, failing.ID}, time.Time{})
	require.NoError(t, err)
	require.Len(t, started, 2)
	require.Equal(t, 6, entries(), "starting keeps the entries")

	now := time.Now().UTC()
	for _, st := range started {
		if st.ID == leased.ID {
			st.Status, st.CompletedAt, st.Updated = taskq.StatusCompleted, &now, now
		} else {
			st.Status, st.RunAt, st.Updated = taskq.StatusFailed, now.Add(time.Minute), now
		}
		require.NoError(t, s.UpdateAttempt(ctx, st, st.Attempts))
	}
	require.Equal(t, 5, entries(), "the completed task's lease is gone, the failed one's kept")

	for _, tk := range []*taskq.Task{ready, later} {
		_, err := c.Cancel(ctx, tk.ID)
		require.NoError(t, err)
	}
	d := dead.Clone()
	d.Status, d.DeadLetteredAt, d.Updated = taskq.StatusDeadLetter, &now, now
	_, err = s.MoveTaskToDeadLetter(ctx, d, 0)
	require.NoError(t, err)
	require.NoError(t, s.DeleteTask(ctx, gone.ID))
	require.Equal(t, 1, entries(), "only the failed task's entry is left")

	// Nothing of the finished tasks is left in the queue's keys.
	cl := s.Client()
	keys := redisentry.Keys(s.KeyPrefix(), taskq.DefaultQueue)
	require.Equal(t, failing.ID+" "+strconv.Itoa(int(taskq.PriorityHigh)), dump(t, cl, keys[redisentry.KeyEntries]))
	require.Equal(t, failing.ID+" alice", dump(t, cl, keys[redisentry.KeyOwners]))
	require.Equal(t, failing.ID+" job", dump(t, cl, keys[redisentry.KeyTypes]))
	for p := range taskq.NumPriorities {
		require.Empty(t, dump(t, cl, keys[redisentry.KeyReady0+p]))
		require.Empty(t, dump(t, cl, keys[redisentry.KeyFair0+p]))
	}
	require.Empty(t, dump(t, cl, keys[redisentry.KeyScheduled]))
	leasedNow, err := cl.Do(ctx, cl.B().Zrange().Key(keys[redisentry.KeyLeased]).Min("0").Max("-1").Build()).AsStrSlice()
	require.NoError(t, err)
	require.Equal(t, []string{failing.ID}, leasedNow)
}

// TestDispatchRefusesWhatTheQueueRefuses: a dispatching store refuses a
// pending task whose priority or queue name the queue would refuse, as
// invalid input and before writing anything (a script that failed after
// storing the record would leave it without its entry). A store that does
// not dispatch stores such records as before.
func TestDispatchRefusesWhatTheQueueRefuses(t *testing.T) {
	srv := testenv.StartRedis(t)
	ctx := ctxT(t)
	s := newStore(t, srv.URL(), redisstore.Config{})
	q, err := s.Queue(redisqueue.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = q.Close() })
	plain := newStore(t, srv.URL(), redisstore.Config{})
	for name, mod := range map[string]func(*taskq.Task){
		"priority": func(tk *taskq.Task) { tk.Priority = 9 },
		"queue":    func(tk *taskq.Task) { tk.Queue = "no spaces" },
	} {
		bad := task(mod)
		_, err := s.CreateTask(ctx, bad)
		require.ErrorIs(t, err, taskq.ErrInvalidInput, name)
		require.ErrorIs(t, s.CreateTasks(ctx, []*taskq.Task{task(), task(mod)}), taskq.ErrInvalidInput, name)
		_, err = s.GetTask(ctx, bad.ID)
		require.ErrorIs(t, err, taskq.ErrNotFound, name)
		_, err = plain.CreateTask(ctx, task(mod))
		require.NoError(t, err, name)
	}
	n, err := s.CountTasks(ctx, time.Now())
	require.NoError(t, err)
	require.Empty(t, n.Counts, "nothing stored")
}
