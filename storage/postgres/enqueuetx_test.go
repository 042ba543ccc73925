package postgres_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage/postgres"
)

// pushRecorder is a real queue that reports each id pushed on it.
type pushRecorder struct {
	taskq.Queue
	pushed chan string
}

func newPushRecorder() *pushRecorder {
	return &pushRecorder{Queue: queue.NewMemory(), pushed: make(chan string, 4096)}
}

func (p *pushRecorder) Enqueue(ctx context.Context, q string, entries ...taskq.QueueEntry) error {
	err := p.Queue.Enqueue(ctx, q, entries...)
	if err == nil {
		for _, e := range entries {
			p.pushed <- e.ID
		}
	}
	return err
}

// next returns the next id pushed, failing after d.
func (p *pushRecorder) next(t *testing.T, d time.Duration) string {
	t.Helper()
	select {
	case id := <-p.pushed:
		return id
	case <-time.After(d):
		t.Fatalf("nothing pushed within %v", d)
		return ""
	}
}

// runRelay runs r until the test ends.
func runRelay(t *testing.T, r *postgres.Relay) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

// txFixture is a store, a client whose configuration builds the tasks,
// its TxEnqueuer and a table of the host application.
type txFixture struct {
	store  *postgres.Store
	client *taskq.Client
	enq    *postgres.TxEnqueuer
}

func newTxFixture(t *testing.T, cfg postgres.Config, q taskq.Queue) *txFixture {
	t.Helper()
	s := postgres.NewTestStore(t, cfg)
	if q == nil {
		q = queue.NewMemory()
	}
	c, err := taskq.NewClient(s, q, taskq.ClientConfig{DefaultQueue: "txq", DefaultMaxRetries: 7})
	require.NoError(t, err)
	enq, err := postgres.NewTxEnqueuer(s, c)
	require.NoError(t, err)
	_, err = s.Pool().Exec(t.Context(), `CREATE TABLE IF NOT EXISTS public.orders (id text PRIMARY KEY)`)
	require.NoError(t, err)
	return &txFixture{store: s, client: c, enq: enq}
}

// placeOrder inserts an order and enqueues its task in one transaction,
// committed when commit, rolled back otherwise.
func (f *txFixture) placeOrder(t *testing.T, commit bool, opts ...taskq.EnqueueOption) (orderID string, task *taskq.Task) {
	t.Helper()
	ctx := t.Context()
	orderID = taskq.NewID()
	tx, err := f.store.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `INSERT INTO public.orders (id) VALUES ($1)`, orderID)
	require.NoError(t, err)
	task, err = f.enq.EnqueueTx(ctx, tx, "order.placed", map[string]any{"order": orderID}, opts...)
	require.NoError(t, err)
	if commit {
		require.NoError(t, tx.Commit(ctx))
	} else {
		require.NoError(t, tx.Rollback(ctx))
	}
	return orderID, task
}

func (f *txFixture) orderExists(t *testing.T, id string) bool {
	t.Helper()
	var n int
	require.NoError(t, f.store.Pool().QueryRow(t.Context(), `SELECT count(*) FROM public.orders WHERE id = $1`, id).Scan(&n))
	return n == 1
}

func (f *txFixture) outboxRows(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, f.store.Pool().QueryRow(t.Context(), `SELECT count(*) FROM taskq.task_outbox`).Scan(&n))
	return n
}

// With a queue elsewhere (here in memory): a rolled-back transaction
// leaves neither the task nor an outbox row, and nothing is pushed; a
// committed one is pushed by the relay, not before the commit.
func TestEnqueueTxOutboxRollbackAndCommit(t *testing.T) {
	t.Parallel()
	rec := newPushRecorder()
	f := newTxFixture(t, postgres.Config{}, rec)
	ctx := t.Context()
	runRelay(t, f.store.Relay(rec, postgres.RelayConfig{}))

	order, rolledBack := f.placeOrder(t, false)
	require.False(t, f.orderExists(t, order))
	_, err := f.store.GetTask(ctx, rolledBack.ID)
	require.ErrorIs(t, err, taskq.ErrNotFound, "a rolled-back task never existed")
	require.Zero(t, f.outboxRows(t))

	// Open a transaction, enqueue, and hold it: no relay sees the task.
	tx, err := f.store.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	held, err := f.enq.EnqueueTx(ctx, tx, "order.placed", nil)
	require.NoError(t, err)
	other := f.store.Relay(rec, postgres.RelayConfig{})
	n, err := other.Flush(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "an uncommitted task is not pushed")
	_, err = f.store.GetTask(ctx, held.ID)
	require.ErrorIs(t, err, taskq.ErrNotFound, "nor visible outside its transaction")
	require.NoError(t, tx.Commit(ctx))
	require.Equal(t, held.ID, rec.next(t, 10*time.Second), "pushed after its commit")

	order, committed := f.placeOrder(t, true)
	require.True(t, f.orderExists(t, order))
	require.Equal(t, committed.ID, rec.next(t, 10*time.Second))
	got, err := f.store.GetTask(ctx, committed.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusPending, got.Status)

	// The queue holds exactly the committed tasks, ready now.
	leases, err := rec.Lease(ctx, taskq.LeaseParams{Queue: "txq", Max: 10, TTL: time.Minute})
	require.NoError(t, err)
	require.Len(t, leases, 2)
	require.ElementsMatch(t, []string{held.ID, committed.ID}, []string{leases[0].ID, leases[1].ID})
	// The relay deletes the rows when its transaction commits, just after
	// the push.
	waitUntil(t, 10*time.Second, "pushed rows deleted", func() bool { return f.outboxRows(t) == 0 })
	select {
	case id := <-rec.pushed:
		t.Fatalf("unexpected push of %s", id)
	default:
	}
}

// On PostgreSQL alone (Config.Dispatch) the transaction writes the queue
// entry itself: nothing is leasable before the commit, the task is at
// once after it, and a Wait on the idle queue wakes at the commit. No
// outbox row is written.
func TestEnqueueTxDispatchingStore(t *testing.T) {
	t.Parallel()
	s := postgres.NewTestStore(t, postgres.Config{Dispatch: true})
	q := s.Queue(postgres.QueueConfig{})
	t.Cleanup(func() { _ = q.Close() })
	c, err := taskq.NewClient(s, q, taskq.ClientConfig{})
	require.NoError(t, err)
	enq, err := postgres.NewTxEnqueuer(s, c)
	require.NoError(t, err)
	ctx := t.Context()

	tx, err := s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	rolled, err := enq.EnqueueTx(ctx, tx, "x", nil)
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(ctx))
	_, err = s.GetTask(ctx, rolled.ID)
	require.ErrorIs(t, err, taskq.ErrNotFound)
	st, err := q.Stats(ctx, taskq.DefaultQueue)
	require.NoError(t, err)
	require.Zero(t, st.Total(), "a rolled-back task has no entry")

	tx, err = s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	tk, err := enq.EnqueueTx(ctx, tx, "x", nil, taskq.WithPriority(taskq.PriorityHigh))
	require.NoError(t, err)
	leases, err := q.Lease(ctx, taskq.LeaseParams{Queue: taskq.DefaultQueue, Max: 10, TTL: time.Minute})
	require.NoError(t, err)
	require.Empty(t, leases, "nothing leasable before the commit")

	woke := make(chan error, 1)
	go func() { woke <- q.Wait(ctx, taskq.DefaultQueue, 30*time.Second) }()
	waitStart := time.Now()
	require.NoError(t, tx.Commit(ctx))
	select {
	case err := <-woke:
		require.NoError(t, err)
		require.Less(t, time.Since(waitStart), 20*time.Second, "woken by the commit, not by its max")
	case <-time.After(25 * time.Second):
		t.Fatal("Wait not woken by the commit")
	}
	leases, err = q.Lease(ctx, taskq.LeaseParams{Queue: taskq.DefaultQueue, Max: 10, TTL: time.Minute})
	require.NoError(t, err)
	require.Len(t, leases, 1)
	require.Equal(t, tk.ID, leases[0].ID)
	require.Equal(t, taskq.PriorityHigh, leases[0].Priority)

	var outbox int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM taskq.task_outbox`).Scan(&outbox))
	require.Zero(t, outbox, "a dispatching store writes no outbox")
}

type receipt struct {
	Order string `json:"order"`
	Cents int64  `json:"cents"`
}

func (receipt) Kind() string { return "receipt.send" }

// The records match those Client.Enqueue and Client.EnqueueArgs write
// with the same configuration and options; invalid input is refused the
// same way, before touching the transaction.
func TestEnqueueTxMatchesClient(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t, postgres.Config{}, nil)
	ctx := t.Context()
	runAt := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	deadline := runAt.Add(time.Hour)
	opts := []taskq.EnqueueOption{taskq.WithPriority(taskq.PriorityLow), taskq.WithRunAt(runAt),
		taskq.WithDeadline(deadline), taskq.WithTimeout(3 * time.Second), taskq.WithDescription("d"),
		taskq.WithOwner("alice")}

	want, err := f.client.Enqueue(ctx, "order.placed", map[string]any{"n": 1.5, "big": int64(1 << 62)}, opts...)
	require.NoError(t, err)
	tx, err := f.store.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	got, err := f.enq.EnqueueTx(ctx, tx, "order.placed", map[string]any{"n": 1.5, "big": int64(1 << 62)}, opts...)
	require.NoError(t, err)
	args, err := f.enq.EnqueueArgsTx(ctx, tx, receipt{Order: "o1", Cents: 995}, taskq.WithQueue("mail"))
	require.NoError(t, err)

	// Validation: the Client's, and the transaction stays usable.
	_, err = f.enq.EnqueueTx(ctx, tx, "", nil)
	require.ErrorIs(t, err, taskq.ErrValidation)
	_, err = f.enq.EnqueueTx(ctx, tx, "x", nil, taskq.WithMaxRetries(1000))
	require.ErrorIs(t, err, taskq.ErrValidation)
	_, err = f.enq.EnqueueTx(ctx, tx, "x", nil, taskq.WithRunAt(time.Now().Add(20*365*24*time.Hour)))
	require.ErrorIs(t, err, taskq.ErrValidation, "beyond MaxScheduleAhead")
	_, err = f.enq.EnqueueTx(ctx, tx, "x", map[string]any{"s": "a\x00b"})
	require.ErrorIs(t, err, taskq.ErrInvalidInput, "jsonb cannot hold U+0000")
	_, err = f.enq.EnqueueArgsTx(ctx, tx, nil)
	require.ErrorIs(t, err, taskq.ErrValidation)
	_, err = f.enq.EnqueueTx(ctx, nil, "x", nil)
	require.ErrorIs(t, err, taskq.ErrInvalidInput)
	require.NoError(t, tx.Commit(ctx))

	stored, err := f.store.GetTask(ctx, got.ID)
	require.NoError(t, err)
	require.Equal(t, stored.Metadata, got.Metadata, "returned as read back")
	require.Equal(t, json.Number("4611686018427387904"), stored.Metadata["big"])
	for _, tk := range []*taskq.Task{got, stored} {
		require.NotEqual(t, want.ID, tk.ID)
		require.Equal(t, want.Type, tk.Type)
		require.Equal(t, want.Status, tk.Status)
		require.Equal(t, want.Priority, tk.Priority)
		require.Equal(t, "txq", tk.Queue, "the client's default queue")
		require.Equal(t, 7, tk.MaxRetries, "the client's default max retries")
		require.Equal(t, want.RunAt, tk.RunAt)
		require.Equal(t, want.Deadline, tk.Deadline)
		require.Equal(t, want.Timeout, tk.Timeout)
		require.Equal(t, want.Description, tk.Description)
		require.Equal(t, want.Owner, tk.Owner)
		require.Equal(t, want.Metadata, tk.Metadata)
	}

	a, err := f.store.GetTask(ctx, args.ID)
	require.NoError(t, err)
	require.Equal(t, "receipt.send", a.Type)
	require.Equal(t, "mail", a.Queue)
	dec, err := taskq.DecodeArgs[receipt](a)
	require.NoError(t, err)
	require.Equal(t, receipt{Order: "o1", Cents: 995}, dec)

	_, err = postgres.NewTxEnqueuer(nil, f.client)
	require.Error(t, err)
	_, err = postgres.NewTxEnqueuer(f.store, nil)
	require.Error(t, err)
}

// Idempotency keys behave as with Client.Enqueue: a key used before (in
// the same transaction or committed) returns the existing task and
// ErrDuplicate, and the caller's transaction goes on; a key held by a
// concurrent transaction waits for it: its commit makes a duplicate, its
// rollback frees the key.
func TestEnqueueTxIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t, postgres.Config{}, nil)
	ctx := t.Context()
	key := taskq.WithIdempotencyKey("k1")

	tx, err := f.store.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	first, err := f.enq.EnqueueTx(ctx, tx, "x", nil, key, taskq.WithOwner("o"))
	require.NoError(t, err)
	dup, err := f.enq.EnqueueTx(ctx, tx, "x", nil, key, taskq.WithOwner("o"))
	require.ErrorIs(t, err, taskq.ErrDuplicate)
	require.NotNil(t, dup)
	require.Equal(t, first.ID, dup.ID, "the existing task, from this transaction")
	otherOwner, err := f.enq.EnqueueTx(ctx, tx, "x", nil, key, taskq.WithOwner("p"))
	require.NoError(t, err, "keys are per owner")
	_, err = tx.Exec(ctx, `INSERT INTO public.orders (id) VALUES ($1)`, taskq.NewID())
	require.NoError(t, err, "the transaction is still usable after a duplicate")
	require.NoError(t, tx.Commit(ctx))
	require.Equal(t, 2, f.outboxRows(t), "one outbox row per task stored")

	// Committed: a later transaction, and Client.Enqueue, see a duplicate.
	tx2, err := f.store.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx2.Rollback(ctx) }()
	dup, err = f.enq.EnqueueTx(ctx, tx2, "x", nil, key, taskq.WithOwner("o"))
	require.ErrorIs(t, err, taskq.ErrDuplicate)
	require.Equal(t, first.ID, dup.ID)
	require.NoError(t, tx2.Commit(ctx))
	dup, err = f.client.Enqueue(ctx, "x", nil, key, taskq.WithOwner("p"))
	require.ErrorIs(t, err, taskq.ErrDuplicate)
	require.Equal(t, otherOwner.ID, dup.ID)
	require.Equal(t, 2, f.outboxRows(t), "duplicates add no outbox row")

	for _, commit := range []bool{true, false} {
		k := taskq.WithIdempotencyKey("concurrent-" + map[bool]string{true: "commit", false: "rollback"}[commit])
		holder, err := f.store.Pool().Begin(ctx)
		require.NoError(t, err)
		held, err := f.enq.EnqueueTx(ctx, holder, "x", nil, k)
		require.NoError(t, err)

		type result struct {
			t   *taskq.Task
			err error
		}
		res := make(chan result, 1)
		var wg sync.WaitGroup
		wg.Go(func() {
			err := pgx.BeginFunc(ctx, f.store.Pool(), func(tx pgx.Tx) error {
				tk, err := f.enq.EnqueueTx(ctx, tx, "x", nil, k)
				res <- result{tk, err}
				return nil
			})
			if err != nil {
				t.Errorf("second transaction: %v", err)
			}
		})
		// The second insert waits on the holder's key: prove it is
		// blocked on the lock before ending the holder.
		waitForLockWait(t, f.store)
		if commit {
			require.NoError(t, holder.Commit(ctx))
		} else {
			require.NoError(t, holder.Rollback(ctx))
		}
		r := <-res
		wg.Wait()
		if commit {
			require.ErrorIs(t, r.err, taskq.ErrDuplicate)
			require.Equal(t, held.ID, r.t.ID)
		} else {
			require.NoError(t, r.err)
			require.NotEqual(t, held.ID, r.t.ID)
			got, err := f.store.GetTask(ctx, r.t.ID)
			require.NoError(t, err)
			require.Equal(t, r.t.IdempotencyKey, got.IdempotencyKey)
		}
	}
}

// Under REPEATABLE READ, a key committed by a transaction the snapshot
// does not see is a serialization failure (retry the transaction), as
// documented on EnqueueTx.
func TestEnqueueTxRepeatableReadKeyConflict(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t, postgres.Config{}, nil)
	ctx := t.Context()
	tx, err := f.store.Pool().BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `SELECT 1`) // takes the snapshot
	require.NoError(t, err)
	_, err = f.client.Enqueue(ctx, "x", nil, taskq.WithIdempotencyKey("rr"))
	require.NoError(t, err)
	_, err = f.enq.EnqueueTx(ctx, tx, "x", nil, taskq.WithIdempotencyKey("rr"))
	require.ErrorIs(t, err, taskq.ErrUnavailable)
	var te *taskq.Error
	require.ErrorAs(t, err, &te)
	require.True(t, te.Retryable)
}

// waitForLockWait waits until a backend of the store's database waits
// on a lock.
func waitForLockWait(t *testing.T, s *postgres.Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		require.NoError(t, s.Pool().QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n))
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no backend waits on a lock within 10s")
		}
		time.Sleep(5 * time.Millisecond) // polling a server view: nothing to wait on
	}
}

// EnqueueManyTx is all or nothing, like Client.EnqueueMany: a duplicate
// key (within the requests or already stored) stores none of the batch,
// and the caller's transaction goes on as before the call.
func TestEnqueueManyTx(t *testing.T) {
	t.Parallel()
	rec := newPushRecorder()
	f := newTxFixture(t, postgres.Config{}, rec)
	ctx := t.Context()

	tx, err := f.store.Pool().Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	order := taskq.NewID()
	_, err = tx.Exec(ctx, `INSERT INTO public.orders (id) VALUES ($1)`, order)
	require.NoError(t, err)
	tasks, err := f.enq.EnqueueManyTx(ctx, tx, []taskq.EnqueueRequest{
		{Args: receipt{Order: order, Cents: 1}},
		{Type: "x", Metadata: map[string]any{"n": 1}, Options: []taskq.EnqueueOption{taskq.WithIdempotencyKey("m1")}},
		{Type: "y", Options: []taskq.EnqueueOption{taskq.WithDelay(time.Hour)}},
	})
	require.NoError(t, err)
	require.Len(t, tasks, 3)
	require.Equal(t, "receipt.send", tasks[0].Type)
	require.Equal(t, json.Number("1"), tasks[1].Metadata["n"])

	// Duplicates: within the batch, and against the key stored above.
	for _, reqs := range [][]taskq.EnqueueRequest{
		{{Type: "z", Options: []taskq.EnqueueOption{taskq.WithIdempotencyKey("m2")}},
			{Type: "z", Options: []taskq.EnqueueOption{taskq.WithIdempotencyKey("m2")}}},
		{{Type: "z"}, {Type: "z", Options: []taskq.EnqueueOption{taskq.WithIdempotencyKey("m1")}}},
	} {
		got, err := f.enq.EnqueueManyTx(ctx, tx, reqs)
		require.ErrorIs(t, err, taskq.ErrDuplicate)
		require.Nil(t, got)
	}
	_, err = f.enq.EnqueueManyTx(ctx, tx, []taskq.EnqueueRequest{{Args: receipt{}, Type: "x"}})
	require.ErrorIs(t, err, taskq.ErrValidation)
	none, err := f.enq.EnqueueManyTx(ctx, tx, nil)
	require.NoError(t, err)
	require.Empty(t, none)
	require.NoError(t, tx.Commit(ctx), "the transaction survived the refused batches")

	require.True(t, f.orderExists(t, order))
	page, err := f.store.ListTasks(ctx, taskq.TaskFilter{})
	require.NoError(t, err)
	require.Len(t, page.Tasks, 3, "only the first batch was stored")
	n, err := f.store.Relay(rec, postgres.RelayConfig{}).Flush(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	st, err := rec.Stats(ctx, "txq")
	require.NoError(t, err)
	require.Equal(t, int64(2), st.Ready[taskq.PriorityMedium])
	require.Equal(t, int64(1), st.Scheduled)
}

// stampTracer records enqueue spans and stamps a trace context on the
// tasks, as taskqotel's tracer does.
type stampTracer struct {
	mu    sync.Mutex
	spans []int // tasks per enqueue span
	errs  []error
}

func (s *stampTracer) StartEnqueue(ctx context.Context, ts []*taskq.Task) (context.Context, func(error)) {
	for _, t := range ts {
		t.TraceContext = map[string]string{"traceparent": "00-" + t.ID}
	}
	return ctx, func(err error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.spans = append(s.spans, len(ts))
		s.errs = append(s.errs, err)
	}
}

func (s *stampTracer) StartAttempt(ctx context.Context, _ *taskq.Task) (context.Context, func(taskq.Outcome, error)) {
	return ctx, func(taskq.Outcome, error) {}
}

// The client's tracer sees transactional enqueues as it sees
// Client.Enqueue: one span per call, and the trace context stored with
// the tasks.
func TestEnqueueTxTracesWithTheClientsTracer(t *testing.T) {
	t.Parallel()
	s := postgres.NewTestStore(t, postgres.Config{})
	tr := &stampTracer{}
	c, err := taskq.NewClient(s, queue.NewMemory(), taskq.ClientConfig{Tracer: tr})
	require.NoError(t, err)
	enq, err := postgres.NewTxEnqueuer(s, c)
	require.NoError(t, err)
	ctx := t.Context()
	var one *taskq.Task
	var many []*taskq.Task
	err = pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		var err error
		if one, err = enq.EnqueueTx(ctx, tx, "x", nil, taskq.WithIdempotencyKey("k")); err != nil {
			return err
		}
		_, dupErr := enq.EnqueueTx(ctx, tx, "x", nil, taskq.WithIdempotencyKey("k"))
		require.ErrorIs(t, dupErr, taskq.ErrDuplicate)
		many, err = enq.EnqueueManyTx(ctx, tx, []taskq.EnqueueRequest{{Type: "y"}, {Type: "z"}})
		return err
	})
	require.NoError(t, err)
	for _, tk := range append([]*taskq.Task{one}, many...) {
		got, err := s.GetTask(ctx, tk.ID)
		require.NoError(t, err)
		require.Equal(t, map[string]string{"traceparent": "00-" + tk.ID}, got.TraceContext)
	}
	require.Equal(t, []int{1, 1, 2}, tr.spans)
	require.NoError(t, tr.errs[0])
	require.ErrorIs(t, tr.errs[1], taskq.ErrDuplicate, "the span ends with the call's error")
	require.NoError(t, tr.errs[2])
}
