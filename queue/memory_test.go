package queue_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testclock"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/queue/queuetest"
)

func TestMemory(t *testing.T) {
	t.Parallel()
	queuetest.Run(t, func(t *testing.T) taskq.Queue {
		m := queue.NewMemory()
		t.Cleanup(func() { require.NoError(t, m.Close()) })
		return m
	})
}

func TestMemoryWithClock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	m := queue.NewMemory(queue.WithClock(clock.Now))
	defer m.Close()

	require.NoError(t, m.Enqueue(ctx, "q",
		taskq.QueueEntry{ID: "later", Priority: taskq.PriorityHigh, RunAt: clock.Now().Add(time.Minute)},
		taskq.QueueEntry{ID: "now", Priority: taskq.PriorityLow, RunAt: clock.Now()},
	))
	s, err := m.Stats(ctx, "q")
	require.NoError(t, err)
	require.Equal(t, int64(1), s.Scheduled)
	require.Equal(t, int64(1), s.Ready[taskq.PriorityLow])

	leases, err := m.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: 30 * time.Second})
	require.NoError(t, err)
	require.Equal(t, []taskq.Lease{{ID: "now", Priority: taskq.PriorityLow, Deadline: clock.Now().Add(30 * time.Second), Token: 1}}, leases)

	clock.Advance(time.Minute)
	leases, err = m.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 10, TTL: 10 * time.Second})
	require.NoError(t, err)
	require.Equal(t, []taskq.Lease{{ID: "later", Priority: taskq.PriorityHigh, Deadline: clock.Now().Add(10 * time.Second), Token: 2}}, leases)

	// "now" expired 30s after the start, "later" expires 10s from here.
	reaped, err := m.Reap(ctx, "q", 10, time.Minute)
	require.NoError(t, err)
	require.Equal(t, []taskq.Lease{{ID: "now", Priority: taskq.PriorityLow, Deadline: clock.Now().Add(time.Minute), Token: 3}}, reaped)

	lostLeases, err := m.Extend(ctx, "q", anyLeases("later"), 5*time.Minute)
	lost := leaseIDs(lostLeases)
	require.NoError(t, err)
	require.Empty(t, lost)
	clock.Advance(2 * time.Minute)
	reaped, err = m.Reap(ctx, "q", 10, time.Minute)
	require.NoError(t, err)
	require.Equal(t, []string{"now"}, leaseIDs(reaped), "only the reaper's one-minute lease has run out")
}

func leaseIDs(leases []taskq.Lease) []string {
	out := make([]string, len(leases))
	for i, l := range leases {
		out[i] = l.ID
	}
	return out
}

func TestMemoryFarFuture(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := queue.NewMemory()
	defer m.Close()
	far := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	require.NoError(t, m.Enqueue(ctx, "q", taskq.QueueEntry{ID: "far", RunAt: far}))
	leases, err := m.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: time.Minute, Now: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	require.Empty(t, leases, "a run time past 2262 stays in the future of 2200")
	leases, err = m.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: time.Duration(1<<63 - 1), Now: far.Add(time.Hour)})
	require.NoError(t, err)
	require.Len(t, leases, 1)
	require.True(t, leases[0].Deadline.After(time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)), "deadline saturates: %v", leases[0].Deadline)
}

func TestMemoryValidation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := queue.NewMemory()
	defer m.Close()
	cases := map[string]error{
		"empty queue name": m.Enqueue(ctx, "", taskq.QueueEntry{ID: "a"}),
		"bad queue name":   m.Enqueue(ctx, "a b", taskq.QueueEntry{ID: "a"}),
		"empty id":         m.Enqueue(ctx, "q", taskq.QueueEntry{ID: "a"}, taskq.QueueEntry{}),
		"bad priority":     m.Enqueue(ctx, "q", taskq.QueueEntry{ID: "a", Priority: 7}),
		"requeue no id":    m.Requeue(ctx, "q", taskq.QueueEntry{}),
		"wait bad name":    m.Wait(ctx, "", time.Second),
	}
	_, cases["lease max 0"] = m.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 0, TTL: time.Second})
	_, cases["lease ttl 0"] = m.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1})
	_, cases["extend ttl 0"] = m.Extend(ctx, "q", anyLeases("a"), 0)
	_, cases["reap max 0"] = m.Reap(ctx, "q", 0, time.Second)
	_, cases["reap ttl 0"] = m.Reap(ctx, "q", 1, 0)
	for name, err := range cases {
		require.ErrorIs(t, err, taskq.ErrInvalidInput, name)
	}
	s, err := m.Stats(ctx, "q")
	require.NoError(t, err)
	require.Zero(t, s.Total(), "a batch with one bad entry enqueues nothing")
	names, err := m.Queues(ctx)
	require.NoError(t, err)
	require.Empty(t, names)
}

func TestMemoryClose(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := queue.NewMemory()
	require.NoError(t, m.Enqueue(ctx, "q", taskq.QueueEntry{ID: "a"}))
	leases, err := m.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: time.Minute})
	require.NoError(t, err)
	require.Len(t, leases, 1)

	waited := make(chan error, 1)
	go func() { waited <- m.Wait(ctx, "q", time.Minute) }()
	select {
	case err := <-waited:
		t.Fatalf("Wait returned %v on an empty queue", err)
	case <-time.After(50 * time.Millisecond):
	}
	require.NoError(t, m.Close())
	require.NoError(t, m.Close(), "Close is idempotent")
	select {
	case err := <-waited:
		require.ErrorIs(t, err, taskq.ErrUnavailable)
		require.ErrorIs(t, err, queue.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake Wait")
	}

	var errs []error
	errs = append(errs, m.Enqueue(ctx, "q", taskq.QueueEntry{ID: "b"}))
	_, err = m.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: time.Minute})
	errs = append(errs, err)
	_, err = m.Extend(ctx, "q", anyLeases("a"), time.Minute)
	errs = append(errs, err)
	errs = append(errs, m.Ack(ctx, "q", taskq.Lease{ID: "a"}), m.Requeue(ctx, "q", taskq.QueueEntry{ID: "a"}),
		m.Remove(ctx, "q", "a"), m.Wait(ctx, "q", time.Second), m.Ping(ctx))
	_, err = m.Reap(ctx, "q", 1, time.Minute)
	errs = append(errs, err)
	_, err = m.Stats(ctx, "q")
	errs = append(errs, err)
	_, err = m.Queues(ctx)
	errs = append(errs, err)
	for i, err := range errs {
		require.ErrorIs(t, err, taskq.ErrUnavailable, "call %d", i)
	}
}

func TestMemoryCancelledContext(t *testing.T) {
	t.Parallel()
	m := queue.NewMemory()
	defer m.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := m.Enqueue(ctx, "q", taskq.QueueEntry{ID: "a"})
	require.True(t, errors.Is(err, context.Canceled), "got %v", err)
	_, err = m.Lease(ctx, taskq.LeaseParams{Queue: "q", Max: 1, TTL: time.Minute})
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, m.Wait(ctx, "q", time.Minute), context.Canceled)
}

func TestMemoryWaitScheduledWithClock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := testclock.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	m := queue.NewMemory(queue.WithClock(clock.Now))
	defer m.Close()
	require.NoError(t, m.Enqueue(ctx, "q", taskq.QueueEntry{ID: "a", RunAt: clock.Now().Add(time.Hour)}))
	clock.Advance(time.Hour)
	start := time.Now()
	require.NoError(t, m.Wait(ctx, "q", time.Minute), "a due entry ends Wait at once")
	require.Less(t, time.Since(start), time.Second)
}

// TestMemoryIsNotBound records the decision of the package doc: the memory
// queue is process-local and does not bind to a storage, so BindQueue
// leaves it alone even with a storage that names itself.
func TestMemoryIsNotBound(t *testing.T) {
	t.Parallel()
	m := queue.NewMemory()
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	var q taskq.Queue = m
	_, ok := q.(taskq.QueueBinding)
	require.False(t, ok, "the memory queue must not implement taskq.QueueBinding")
	require.NoError(t, taskq.BindQueue(context.Background(), namedStorage{}, m))
}

// namedStorage is a StorageAdapter that names itself; only StorageID is
// used.
type namedStorage struct{ taskq.StorageAdapter }

func (namedStorage) StorageID(context.Context) (string, error) { return "a-storage", nil }
