package queuetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// waitResult is what a Wait in another goroutine returned, and when.
type waitResult struct {
	err error
	at  time.Time
}

// startWait calls Wait in a goroutine and returns the channel of its result,
// after giving it blockFor to block and checking that it did not return.
func startWait(t *testing.T, ctx context.Context, b *bundle, max, blockFor time.Duration) <-chan waitResult {
	t.Helper()
	done := make(chan waitResult, 1)
	go func() {
		err := b.q.Wait(ctx, b.name, max)
		done <- waitResult{err: err, at: time.Now()}
	}()
	select {
	case r := <-done:
		t.Fatalf("Wait returned (%v) before anything happened", r.err)
	case <-time.After(blockFor):
	}
	return done
}

// waitDone returns the result of a Wait started by startWait, failing after
// timeout.
func waitDone(t *testing.T, done <-chan waitResult, timeout time.Duration) waitResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(timeout):
		t.Fatalf("Wait did not return within %s", timeout)
		return waitResult{}
	}
}

func testWait(t *testing.T, newQueue NewQueueFunc) {
	t.Run("WakesOnEnqueue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		done := startWait(t, b.ctx, b, 20*time.Second, 100*time.Millisecond)
		enqueued := time.Now()
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		r := waitDone(t, done, 5*time.Second)
		require.NoError(t, r.err)
		require.Less(t, r.at.Sub(enqueued), time.Second, "Wait returns promptly after an Enqueue")
		require.Equal(t, []string{"a"}, ids(b.lease(t, 1)))
	})

	t.Run("WakesOnRequeue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entry("a", taskq.PriorityMedium))
		require.Len(t, b.lease(t, 1), 1)
		done := startWait(t, b.ctx, b, 20*time.Second, 100*time.Millisecond)
		requeued := time.Now()
		require.NoError(t, b.q.Requeue(b.ctx, b.name, entry("a", taskq.PriorityMedium)))
		r := waitDone(t, done, 5*time.Second)
		require.NoError(t, r.err)
		require.Less(t, r.at.Sub(requeued), time.Second, "Wait returns promptly after a Requeue")
	})

	t.Run("WakesWhenScheduledDue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		start := time.Now()
		b.enqueue(t, entryAt("s", taskq.PriorityMedium, start.Add(200*time.Millisecond)))
		require.NoError(t, b.q.Wait(b.ctx, b.name, 20*time.Second))
		require.Less(t, time.Since(start), 2*time.Second, "Wait returns when a scheduled entry comes due")
		eventually(t, 2*time.Second, func() bool { return len(b.lease(t, 1)) == 1 }, "the due entry is leasable")
	})

	t.Run("WakesForEarlierScheduled", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		b.enqueue(t, entryAt("late", taskq.PriorityMedium, time.Now().Add(time.Hour)))
		done := startWait(t, b.ctx, b, 20*time.Second, 100*time.Millisecond)
		b.enqueue(t, entryAt("soon", taskq.PriorityMedium, time.Now().Add(100*time.Millisecond)))
		r := waitDone(t, done, 5*time.Second)
		require.NoError(t, r.err)
	})

	t.Run("ReturnsAfterMax", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		start := time.Now()
		require.NoError(t, b.q.Wait(b.ctx, b.name, 250*time.Millisecond))
		elapsed := time.Since(start)
		require.GreaterOrEqual(t, elapsed, 240*time.Millisecond, "Wait blocks while nothing happens")
		require.Less(t, elapsed, 2*time.Second, "Wait returns after max")
	})

	t.Run("ContextCancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newQueue)
		ctx, cancel := context.WithCancel(b.ctx)
		defer cancel()
		done := startWait(t, ctx, b, 20*time.Second, 100*time.Millisecond)
		cancelled := time.Now()
		cancel()
		r := waitDone(t, done, 5*time.Second)
		require.Less(t, r.at.Sub(cancelled), time.Second, "Wait returns promptly when ctx ends")
		if r.err != nil {
			require.True(t, errors.Is(r.err, context.Canceled), "Wait on a cancelled ctx returned %v", r.err)
		}
	})
}
