package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// registered reports whether a Wait of this Queue waits for notifications
// of queue.
func (l *listener) registered(queue string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wakers[queue] != nil
}

// TestQueueWaitLatency measures how long an idle Wait takes to return after
// another Queue instance (as another process would, with its own
// connections) enqueues: the notification path, LISTEN/NOTIFY. Run with -v
// to see the figures.
func TestQueueWaitLatency(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	consumer := s.Queue(QueueConfig{})
	defer consumer.Close()
	asleep := make(chan struct{}, 1)
	consumer.sleeping = func(string) { asleep <- struct{}{} }
	other, err := NewQueue(t.Context(), s.Pool(), QueueConfig{SkipMigrations: true})
	require.NoError(t, err)
	defer other.Close()
	ctx := t.Context()
	const name, rounds = "latency", 30

	var lat []time.Duration
	for i := range rounds {
		done := make(chan time.Time, 1)
		go func() {
			err := consumer.Wait(ctx, name, 20*time.Second)
			if err != nil {
				t.Errorf("wait: %v", err)
			}
			done <- time.Now()
		}()
		// The Wait looked, found nothing and sleeps: only a notification
		// wakes it now.
		select {
		case <-asleep:
		case at := <-done:
			t.Fatalf("Wait returned at %v before anything was enqueued", at)
		}
		start := time.Now()
		require.NoError(t, other.Enqueue(ctx, name, taskq.QueueEntry{ID: "x", Priority: taskq.PriorityMedium}))
		select {
		case at := <-done:
			lat = append(lat, at.Sub(start))
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: Wait did not return within 5s of an Enqueue", i)
		}
		require.Less(t, lat[i], time.Second, "round %d: Wait returns promptly after an Enqueue elsewhere", i)
		leases, err := consumer.Lease(ctx, taskq.LeaseParams{Queue: name, Max: 1, TTL: time.Minute})
		require.NoError(t, err)
		require.Len(t, leases, 1)
		require.NoError(t, consumer.Ack(ctx, name, taskq.Lease{ID: "x"}))
	}
	slices.Sort(lat)
	t.Logf("Wait wake-up after an Enqueue from another Queue (Enqueue call start to Wait return), %d rounds: "+
		"min %v, median %v, p90 %v, max %v", rounds, lat[0], lat[rounds/2], lat[rounds*9/10], lat[rounds-1])
}

// TestQueueCloseStopsListener checks that Close ends a blocked Wait with
// ErrQueueClosed and stops the listener goroutine (TestMain's goleak check
// fails the package otherwise).
func TestQueueCloseStopsListener(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t, Config{})
	q := s.Queue(QueueConfig{})
	ctx := t.Context()
	done := make(chan error, 1)
	go func() { done <- q.Wait(ctx, "close", time.Minute) }()
	for !q.lis.registered("close") {
		select {
		case err := <-done:
			t.Fatalf("Wait returned %v before Close", err)
		case <-time.After(time.Millisecond):
		}
	}
	require.NoError(t, q.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrQueueClosed)
		require.ErrorIs(t, err, taskq.ErrUnavailable)
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after Close")
	}
	select {
	case <-q.lis.stopped:
	default:
		t.Fatal("listener goroutine still running after Close")
	}
	require.NoError(t, q.Close(), "closing twice is fine")
	_, err := q.Lease(context.Background(), taskq.LeaseParams{Queue: "close", Max: 1, TTL: time.Minute})
	require.ErrorIs(t, err, taskq.ErrUnavailable)
}
