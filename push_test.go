package taskq_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// gateQueue is a memory queue whose Enqueue calls are recorded, can be
// held until released, and can fail.
type gateQueue struct {
	*queue.Memory
	mu    sync.Mutex
	calls [][]string // ids of each Enqueue call, in call order
	gate  chan struct{}
	fail  int // calls still to fail
}

func (g *gateQueue) Enqueue(ctx context.Context, q string, entries ...taskq.QueueEntry) error {
	g.mu.Lock()
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	g.calls = append(g.calls, ids)
	gate, fail := g.gate, g.fail > 0
	if fail {
		g.fail--
	}
	g.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if fail {
		return taskq.Errorf(taskq.CodeServiceUnavailable, "queue down")
	}
	return g.Memory.Enqueue(ctx, q, entries...)
}

func (g *gateQueue) callIDs() [][]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([][]string(nil), g.calls...)
}

func newPushClient(t *testing.T, g *gateQueue, log *testenv.LogBuffer) (*taskq.Client, *storage.Memory) {
	t.Helper()
	store := storage.NewMemory()
	cfg := taskq.ClientConfig{BackgroundPush: true}
	if log != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	c, err := taskq.NewClient(store, g, cfg)
	require.NoError(t, err)
	return c, store
}

func leaseAll(t *testing.T, q taskq.Queue, name string) []string {
	t.Helper()
	leases, err := q.Lease(t.Context(), taskq.LeaseParams{Queue: name, Max: 1000, TTL: time.Minute})
	require.NoError(t, err)
	ids := make([]string, len(leases))
	for i, l := range leases {
		ids[i] = l.ID
	}
	return ids
}

// TestBackgroundPushMergesWhileInFlight: an enqueue returns once its record
// is stored, before its push; the enqueues made while a push is in flight
// go out together in the next call, and Flush waits for it.
func TestBackgroundPushMergesWhileInFlight(t *testing.T) {
	g := &gateQueue{Memory: queue.NewMemory(), gate: make(chan struct{})}
	c, store := newPushClient(t, g, nil)
	ctx := t.Context()

	first, err := c.Enqueue(ctx, "email", nil)
	require.NoError(t, err, "the enqueue returns while its push is held")
	got, err := store.GetTask(ctx, first.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusPending, got.Status)
	require.Eventually(t, func() bool { return len(g.callIDs()) == 1 }, 10*time.Second, time.Millisecond)

	var later []string
	for range 20 {
		tk, err := c.Enqueue(ctx, "email", nil)
		require.NoError(t, err)
		later = append(later, tk.ID)
	}
	ts, err := c.EnqueueMany(ctx, []taskq.EnqueueRequest{{Type: "email"}, {Type: "email"}})
	require.NoError(t, err)
	later = append(later, ts[0].ID, ts[1].ID)

	flushCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, c.Flush(flushCtx), context.DeadlineExceeded, "Flush waits for the held push")

	close(g.gate)
	require.NoError(t, c.Flush(ctx))
	require.Equal(t, [][]string{{first.ID}, later}, g.callIDs(), "one call for the first, one for all that came meanwhile")
	require.ElementsMatch(t, append([]string{first.ID}, later...), leaseAll(t, g.Memory, taskq.DefaultQueue))
	require.NoError(t, c.Flush(ctx), "nothing left to wait for")
}

// TestBackgroundPushRetries: a push that fails is tried again; after the
// last try the entries are left to the reconciler with a warning, and the
// enqueue itself still succeeded, its record stored.
func TestBackgroundPushRetries(t *testing.T) {
	defer taskq.SetPushLimits(100_000, time.Millisecond)()
	ctx := t.Context()

	g := &gateQueue{Memory: queue.NewMemory(), fail: 3}
	c, _ := newPushClient(t, g, nil)
	tk, err := c.Enqueue(ctx, "email", nil)
	require.NoError(t, err)
	require.NoError(t, c.Flush(ctx))
	require.Len(t, g.callIDs(), 4, "three failures, then the push")
	require.Equal(t, []string{tk.ID}, leaseAll(t, g.Memory, taskq.DefaultQueue))

	var log testenv.LogBuffer
	down := &gateQueue{Memory: queue.NewMemory(), fail: 1 << 30}
	c, store := newPushClient(t, down, &log)
	tk, err = c.Enqueue(ctx, "email", nil, taskq.WithQueue("mail"))
	require.NoError(t, err, "the record is stored: the enqueue succeeded")
	require.NoError(t, c.Flush(ctx))
	require.Len(t, down.callIDs(), 4, "four tries")
	require.Contains(t, log.String(), "tasks stored but not queued")
	require.Contains(t, log.String(), tk.ID)
	require.Empty(t, leaseAll(t, down.Memory, "mail"))
	got, err := store.GetTask(ctx, tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusPending, got.Status, "pending: the reconciler pushes it")
}

// TestBackgroundPushCap: while the queue is unreachable, at most the cap
// of entries wait; the others are stored, reported and left to the
// reconciler.
func TestBackgroundPushCap(t *testing.T) {
	defer taskq.SetPushLimits(5, time.Millisecond)()
	ctx := t.Context()
	var log testenv.LogBuffer
	g := &gateQueue{Memory: queue.NewMemory(), gate: make(chan struct{})}
	c, store := newPushClient(t, g, &log)
	var ids []string
	enqueue := func() {
		tk, err := c.Enqueue(ctx, "email", nil)
		require.NoError(t, err)
		ids = append(ids, tk.ID)
	}
	enqueue()
	require.Eventually(t, func() bool { return len(g.callIDs()) == 1 }, 10*time.Second, time.Millisecond)
	for range 7 {
		enqueue()
	}
	close(g.gate)
	require.NoError(t, c.Flush(ctx))
	calls := g.callIDs()
	require.Len(t, calls, 2)
	require.Equal(t, []string{ids[0]}, calls[0])
	require.Equal(t, ids[1:6], calls[1], "five waited behind the push in flight")
	require.Contains(t, log.String(), "too many tasks waiting for a push")
	require.Contains(t, log.String(), "tasks=2")
	require.ElementsMatch(t, ids[:6], leaseAll(t, g.Memory, taskq.DefaultQueue))
	for _, id := range ids {
		_, err := store.GetTask(ctx, id)
		require.NoError(t, err, "every record is stored")
	}
}

// TestBackgroundPushOff: without the option an enqueue pushes before it
// returns and reports a failed push; Flush has nothing to wait for.
func TestBackgroundPushOff(t *testing.T) {
	ctx := t.Context()
	g := &gateQueue{Memory: queue.NewMemory(), fail: 1}
	c, err := taskq.NewClient(storage.NewMemory(), g, taskq.ClientConfig{})
	require.NoError(t, err)
	tk, err := c.Enqueue(ctx, "email", nil)
	require.Error(t, err)
	require.True(t, errors.Is(err, taskq.ErrUnavailable))
	require.NotNil(t, tk, "stored: the task is returned with the error")
	tk, err = c.Enqueue(ctx, "email", nil)
	require.NoError(t, err)
	require.Equal(t, []string{tk.ID}, leaseAll(t, g.Memory, taskq.DefaultQueue), "queued when Enqueue returned")
	require.NoError(t, c.Flush(ctx))
}

// TestBackgroundPushCancelledWhileWaiting: a task cancelled while its
// entry waits for a push never reaches the queue.
func TestBackgroundPushCancelledWhileWaiting(t *testing.T) {
	g := &gateQueue{Memory: queue.NewMemory(), gate: make(chan struct{})}
	c, _ := newPushClient(t, g, nil)
	ctx := t.Context()
	first, err := c.Enqueue(ctx, "email", nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(g.callIDs()) == 1 }, 10*time.Second, time.Millisecond)
	kept, err := c.Enqueue(ctx, "email", nil)
	require.NoError(t, err)
	gone, err := c.Enqueue(ctx, "email", nil)
	require.NoError(t, err)
	flushed := make(chan error, 1)
	go func() { flushed <- c.Flush(ctx) }() // waits for all three, one of them then dropped
	// Let Flush take its target first (the case this checks; the code is
	// right either way).
	time.Sleep(50 * time.Millisecond)
	cancelled, err := c.Cancel(ctx, gone.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCancelled, cancelled.Status)

	close(g.gate)
	select {
	case err := <-flushed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("a Flush begun before the cancel never returned")
	}
	require.NoError(t, c.Flush(ctx))
	require.Equal(t, [][]string{{first.ID}, {kept.ID}}, g.callIDs(), "the cancelled task's entry was dropped before its push")
	require.ElementsMatch(t, []string{first.ID, kept.ID}, leaseAll(t, g.Memory, taskq.DefaultQueue))
}
