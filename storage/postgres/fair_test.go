package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage/postgres"
)

// ownedTask is a pending task of owner, ready now.
func ownedTask(queue, owner string) *taskq.Task {
	t := pendingTask(queue, taskq.PriorityMedium, time.Time{})
	t.Owner = owner
	return t
}

// leaseOneByOne leases n entries of queue, one per call.
func leaseOneByOne(t *testing.T, q *postgres.Queue, queue string, n int) []string {
	t.Helper()
	var out []string
	for range n {
		got, err := q.Lease(t.Context(), taskq.LeaseParams{Queue: queue, Max: 1, TTL: time.Hour})
		require.NoError(t, err)
		require.Len(t, got, 1)
		out = append(out, got[0].ID)
	}
	return out
}

// TestFairDispatchPathsKeepOwnersAndRounds: a dispatching store writes
// the entries of new tasks itself, by COPY (CreateTasks), by one insert
// (CreateTask), concurrent inserts grouped in one statement, and inside a
// caller's transaction (TxEnqueuer). Every path records the task's owner
// and gives the entry its round, so an owner arriving behind another's
// burst is served in the current round whichever path wrote either.
func TestFairDispatchPathsKeepOwnersAndRounds(t *testing.T) {
	t.Parallel()
	s, q := newTestQueue(t, postgres.Config{Dispatch: true})
	ctx := t.Context()
	c, err := taskq.NewClient(s, q, taskq.ClientConfig{})
	require.NoError(t, err)
	enq, err := postgres.NewTxEnqueuer(s, c)
	require.NoError(t, err)

	burst := make([]*taskq.Task, 50)
	for i := range burst {
		burst[i] = ownedTask("fair", "a")
	}
	require.NoError(t, s.CreateTasks(ctx, burst)) // COPY
	first := leaseOneByOne(t, q, "fair", 2)
	require.Equal(t, []string{burst[0].ID, burst[1].ID}, first, "one owner alone keeps its order")

	b := ownedTask("fair", "b")
	_, err = s.CreateTask(ctx, b) // one insert
	require.NoError(t, err)
	// Concurrent creates of two owners, grouped into multi-row inserts.
	cs := []*taskq.Task{ownedTask("fair", "c"), ownedTask("fair", "c"), ownedTask("fair", "d")}
	var wg sync.WaitGroup
	errs := make(chan error, len(cs))
	for _, tk := range cs {
		wg.Go(func() {
			_, err := s.CreateTask(ctx, tk)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	tx, err := s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	e, err := enq.EnqueueTx(ctx, tx, "x", nil, taskq.WithQueue("fair"), taskq.WithOwner("e"))
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))

	var unrounded int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM taskq.queue_entries WHERE queue = 'fair' AND round IS NULL`).Scan(&unrounded))
	require.Zero(t, unrounded, "every entry written ready has its round")

	// Round 2 (the current one): a's third, b, d, e and one of c's; the
	// other of c's is in round 3 with a's fourth (c's two may have been
	// written by one statement or two, in either order).
	got := leaseOneByOne(t, q, "fair", 7)
	cur, next := got[:5], got[5:]
	c0, c1 := cs[0].ID, cs[1].ID
	if slices.Contains(cur, c1) {
		c0, c1 = c1, c0
	}
	require.ElementsMatch(t, []string{burst[2].ID, b.ID, c0, cs[2].ID, e.ID}, cur, "the current round")
	require.ElementsMatch(t, []string{burst[3].ID, c1}, next, "the next round")

	var owner string
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT owner FROM taskq.queue_entries WHERE queue = 'fair' AND id = $1`,
		burst[49].ID).Scan(&owner))
	require.Equal(t, "a", owner, "the COPY path recorded the owner")
}

// entryRecorder is a queue that remembers the entries pushed into it.
type entryRecorder struct {
	taskq.Queue
	mu      sync.Mutex
	entries []taskq.QueueEntry
}

func (r *entryRecorder) Enqueue(ctx context.Context, q string, es ...taskq.QueueEntry) error {
	err := r.Queue.Enqueue(ctx, q, es...)
	if err == nil {
		r.mu.Lock()
		r.entries = append(r.entries, es...)
		r.mu.Unlock()
	}
	return err
}

func (r *entryRecorder) pushed() []taskq.QueueEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]taskq.QueueEntry(nil), r.entries...)
}

// TestFairRelayPushesOwners: tasks created in a caller's transaction reach
// the other queue through the outbox relay with their owners, so that
// queue shares them fairly too.
func TestFairRelayPushesOwners(t *testing.T) {
	t.Parallel()
	rec := &entryRecorder{Queue: queue.NewMemory()}
	s := postgres.NewTestStore(t, postgres.Config{})
	c, err := taskq.NewClient(s, rec, taskq.ClientConfig{})
	require.NoError(t, err)
	enq, err := postgres.NewTxEnqueuer(s, c)
	require.NoError(t, err)
	ctx := t.Context()
	tx, err := s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	var want []string
	for i := range 4 {
		tk, err := enq.EnqueueTx(ctx, tx, "x", nil, taskq.WithOwner("a"))
		require.NoError(t, err, i)
		want = append(want, tk.ID)
	}
	tb, err := enq.EnqueueTx(ctx, tx, "x", nil, taskq.WithOwner("b"))
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	n, err := s.Relay(rec, postgres.RelayConfig{}).Flush(ctx)
	require.NoError(t, err)
	require.Equal(t, 5, n)

	owners := map[string]string{}
	for _, e := range rec.pushed() {
		owners[e.ID] = e.Owner
	}
	require.Equal(t, map[string]string{want[0]: "a", want[1]: "a", want[2]: "a", want[3]: "a", tb.ID: "b"}, owners)
	got, err := rec.Lease(ctx, taskq.LeaseParams{Queue: taskq.DefaultQueue, Max: 2, TTL: time.Minute})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{want[0], tb.ID}, leaseIDs(got), "b is in the first round")
}

// TestFairUpgradeKeepsOrder: entries written before fair sharing (empty
// owner, no round) are promoted by the first lease in their old order,
// and an owner's entry enqueued since joins the first round.
func TestFairUpgradeKeepsOrder(t *testing.T) {
	t.Parallel()
	s, q := newTestQueue(t, postgres.Config{})
	ctx := t.Context()
	var old []string
	for i := range 20 {
		id := fmt.Sprintf("old-%02d", 19-i) // seq order is not id order
		old = append(old, id)
		_, err := s.Pool().Exec(ctx, `INSERT INTO taskq.queue_entries (queue, id, priority, run_at)
			VALUES ('up', $1, 1, statement_timestamp() - interval '1 hour')`, id)
		require.NoError(t, err)
	}
	require.NoError(t, q.Enqueue(ctx, "up", taskq.QueueEntry{ID: "new-b", Priority: taskq.PriorityMedium, Owner: "b"}))
	got := leaseOneByOne(t, q, "up", 21)
	require.ElementsMatch(t, []string{old[0], "new-b"}, got[:2], "b joins the first round")
	require.Equal(t, old[1:], got[2:], "the old entries keep their order")
}

// TestFairConcurrentLeasersTakeEachEntryOnce: leasers racing to promote
// (scheduled entries coming due while others are enqueued ready) lease
// every entry exactly once, and no entry is left without a round.
func TestFairConcurrentLeasersTakeEachEntryOnce(t *testing.T) {
	t.Parallel()
	s, q := newTestQueue(t, postgres.Config{})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const owners, per = 4, 150
	due := time.Now().Add(300 * time.Millisecond)
	want := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for o := range owners {
		wg.Go(func() {
			for i := range per {
				e := taskq.QueueEntry{ID: fmt.Sprintf("o%d-%03d", o, i), Priority: taskq.PriorityMedium, Owner: fmt.Sprint("o", o)}
				if i%2 == 0 {
					e.RunAt = due
				}
				if err := q.Enqueue(ctx, "race", e); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want[e.ID] = true
				mu.Unlock()
			}
		})
	}
	seen := map[string]int{}
	var leased sync.WaitGroup
	for range 6 {
		leased.Go(func() {
			for ctx.Err() == nil {
				got, err := q.Lease(ctx, taskq.LeaseParams{Queue: "race", Max: 7, TTL: time.Hour})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, l := range got {
					seen[l.ID]++
				}
				done := len(seen) == owners*per
				mu.Unlock()
				if done {
					return
				}
				if len(got) == 0 {
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	leased.Wait()
	require.NoError(t, ctx.Err(), "every entry leased in time")
	require.Len(t, seen, owners*per)
	for id, n := range seen {
		require.True(t, want[id], id)
		require.Equal(t, 1, n, "%s leased once", id)
	}
	var left int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM taskq.queue_entries WHERE queue = 'race' AND deadline IS NULL`).Scan(&left))
	require.Zero(t, left)
}
