package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
)

// TestQueuePostgresDownAndBack stops PostgreSQL under a Queue: every call
// fails as taskq.ErrUnavailable (retryable), Wait falls back to its max
// duration, and once PostgreSQL is back the entries are all there and the
// listener has reconnected on its own (an Enqueue wakes a Wait again).
func TestQueuePostgresDownAndBack(t *testing.T) {
	t.Parallel()
	pg := testenv.StartPostgres(t)
	url := pg.NewDatabase(t) + "&connect_timeout=2"
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	s, err := Open(ctx, url, Config{})
	require.NoError(t, err)
	defer s.Close()
	q := s.Queue(QueueConfig{CallTimeout: 5 * time.Second})
	defer q.Close()
	asleep := make(chan string, 1)
	q.sleeping = func(queue string) {
		select {
		case asleep <- queue:
		default:
		}
	}

	const name = "fault"
	entry := func(id string) taskq.QueueEntry { return taskq.QueueEntry{ID: id, Priority: taskq.PriorityMedium} }
	require.NoError(t, q.Enqueue(ctx, name, entry("before-1"), entry("before-2")))
	leased, err := q.Lease(ctx, taskq.LeaseParams{Queue: name, Max: 1, TTL: time.Hour})
	require.NoError(t, err)
	require.Len(t, leased, 1)
	require.NoError(t, q.Wait(ctx, name, time.Millisecond), "the listener is up")

	require.NoError(t, pg.Stop())
	unavailable := func(what string, err error) {
		t.Helper()
		require.Error(t, err, what)
		require.ErrorIs(t, err, taskq.ErrUnavailable, what)
		var te *taskq.Error
		require.True(t, errors.As(err, &te), what)
		require.True(t, te.Retryable, what)
	}
	unavailable("ping", q.Ping(ctx))
	unavailable("enqueue", q.Enqueue(ctx, name, entry("during")))
	_, err = q.Lease(ctx, taskq.LeaseParams{Queue: name, Max: 10, TTL: time.Hour})
	unavailable("lease", err)
	_, err = q.Extend(ctx, name, anyLeases(leased[0].ID), time.Hour)
	unavailable("extend", err)
	unavailable("ack", q.Ack(ctx, name, taskq.Lease{ID: leased[0].ID}))
	unavailable("requeue", q.Requeue(ctx, name, entry(leased[0].ID)))
	_, err = q.Reap(ctx, name, 10, time.Hour)
	unavailable("reap", err)
	_, err = q.Stats(ctx, name)
	unavailable("stats", err)
	_, err = q.Queues(ctx)
	unavailable("queues", err)
	start := time.Now()
	err = q.Wait(ctx, name, 300*time.Millisecond)
	if err != nil {
		unavailable("wait", err)
	}
	require.Less(t, time.Since(start), 5*time.Second, "Wait returns while the database is down")

	require.NoError(t, pg.Start())
	for deadline := time.Now().Add(20 * time.Second); q.Ping(ctx) != nil; {
		require.True(t, time.Now().Before(deadline), "the queue answers again within 20s")
		select {
		case <-ctx.Done():
			t.Fatal("test ended before the queue answered again")
		case <-time.After(20 * time.Millisecond):
		}
	}
	st, err := q.Stats(ctx, name)
	require.NoError(t, err)
	require.Equal(t, int64(1), st.Ready[taskq.PriorityMedium], "nothing lost")
	require.Equal(t, int64(1), st.Leased)
	lostLeases, err := q.Extend(ctx, name, anyLeases(leased[0].ID), time.Hour)
	lost := leaseIDs(lostLeases)
	require.NoError(t, err)
	require.Empty(t, lost, "the lease survived the outage")

	// The listener reconnects by itself: a Wait on an empty queue (which
	// first waits for the listener to be back) is woken by an Enqueue from
	// another Queue well before its max.
	other := s.Queue(QueueConfig{})
	defer other.Close()
	const idle = "fault-idle"
	for len(asleep) > 0 {
		<-asleep
	}
	done := make(chan time.Time, 1)
	go func() {
		if err := q.Wait(ctx, idle, 20*time.Second); err != nil {
			t.Errorf("wait: %v", err)
		}
		done <- time.Now()
	}()
	select {
	case got := <-asleep:
		require.Equal(t, idle, got)
	case <-time.After(30 * time.Second):
		t.Fatal("Wait did not go to sleep after the restart")
	}
	at := time.Now()
	require.NoError(t, other.Enqueue(ctx, idle, entry("after")))
	woke := (<-done).Sub(at)
	require.Less(t, woke, time.Second, "the listener is back")
	t.Logf("after the restart an Enqueue woke a Wait in %v", woke)
}
