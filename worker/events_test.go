package worker_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
	"go.uber.org/goleak"
)

// TestEvents runs the subscription cases on every backend kind.
func TestEvents(t *testing.T) {
	t.Parallel()
	cases := []backendCase{
		{"Completed", testEventCompleted},
		{"FailedThenDeadLettered", testEventFailedThenDeadLettered},
		{"Cancelled", testEventCancelled},
		{"Rescheduled", testEventRescheduled},
	}
	runOnBackends(t, cases)
}

// nextEvent returns the next event on ch, failing after timeout.
func nextEvent(t *testing.T, ch <-chan taskq.Event, timeout time.Duration) taskq.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "event channel closed")
		return ev
	case <-time.After(timeout):
		t.Fatalf("no event within %s", timeout)
		return taskq.Event{}
	}
}

// testEventCompleted: a completed event carries the stored record, and the
// lease is acknowledged by the time it arrives.
func testEventCompleted(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	b.worker.HandleFunc("hello", func(context.Context, *taskq.Task) (any, error) {
		return map[string]any{"hi": 1}, nil
	})
	events, cancel := b.worker.Subscribe()
	defer cancel()
	b.start(t)
	before := time.Now()
	tk, err := b.client.Enqueue(context.Background(), "hello", map[string]any{"n": 7})
	require.NoError(t, err)

	ev := nextEvent(t, events, 5*time.Second)
	require.Equal(t, taskq.EventCompleted, ev.Kind)
	require.NoError(t, ev.Err)
	require.False(t, ev.Time.Before(before.Add(-time.Second)), "event time %s is the recording time", ev.Time)
	require.Equal(t, tk.ID, ev.Task.ID)
	require.Equal(t, taskq.StatusCompleted, ev.Task.Status)
	require.JSONEq(t, `{"hi":1}`, string(ev.Task.Result))
	require.Equal(t, 1, ev.Task.Attempts)
	stored, err := b.store.GetTask(context.Background(), tk.ID)
	require.NoError(t, err)
	require.Equal(t, taskq.StatusCompleted, stored.Status)

	st, err := b.queue.Stats(context.Background(), taskq.DefaultQueue)
	require.NoError(t, err)
	require.Zero(t, st.Total(), "the lease is acknowledged before the completed event")
}

// testEventFailedThenDeadLettered: an always failing task with one retry
// gives failed (retry scheduled) then dead_lettered, both with the error.
func testEventFailedThenDeadLettered(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	b.worker.HandleFunc("fail", func(context.Context, *taskq.Task) (any, error) {
		return nil, errors.New("boom")
	})
	all, cancelAll := b.worker.Subscribe()
	defer cancelAll()
	done, cancelDone := b.worker.Subscribe(taskq.EventCompleted)
	defer cancelDone()
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "fail", nil, taskq.WithMaxRetries(1))
	require.NoError(t, err)

	ev := nextEvent(t, all, 5*time.Second)
	require.Equal(t, taskq.EventFailed, ev.Kind)
	require.ErrorContains(t, ev.Err, "boom")
	require.Equal(t, tk.ID, ev.Task.ID)
	require.Equal(t, taskq.StatusFailed, ev.Task.Status)
	require.Equal(t, 1, ev.Task.RetryCount)
	require.Equal(t, "boom", ev.Task.Error.Message)

	ev = nextEvent(t, all, 5*time.Second)
	require.Equal(t, taskq.EventDeadLettered, ev.Kind)
	require.ErrorContains(t, ev.Err, "boom")
	require.Equal(t, taskq.StatusDeadLetter, ev.Task.Status)
	require.Equal(t, 2, ev.Task.Attempts)
	require.NotNil(t, ev.Task.DeadLetteredAt)
	st, err := b.queue.Stats(context.Background(), taskq.DefaultQueue)
	require.NoError(t, err)
	require.Zero(t, st.Total(), "the lease is acknowledged before the dead_lettered event")

	require.Empty(t, done, "a subscription to completed sees neither failed nor dead_lettered")
}

// testEventCancelled: cancelling a running task gives cancelled with the
// stored (cancelled) record.
func testEventCancelled(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	started := make(chan struct{})
	b.worker.HandleFunc("block", func(ctx context.Context, _ *taskq.Task) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	events, cancel := b.worker.Subscribe(taskq.EventCancelled, taskq.EventCompleted, taskq.EventFailed)
	defer cancel()
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "block", nil)
	require.NoError(t, err)
	<-started
	_, err = b.client.Cancel(context.Background(), tk.ID)
	require.NoError(t, err)

	ev := nextEvent(t, events, 5*time.Second)
	require.Equal(t, taskq.EventCancelled, ev.Kind)
	require.NoError(t, ev.Err)
	require.Equal(t, tk.ID, ev.Task.ID)
	require.Equal(t, taskq.StatusCancelled, ev.Task.Status)
	require.Equal(t, taskq.CodeTaskCancelled, ev.Task.Error.Code)
}

// testEventRescheduled: a snooze gives rescheduled, then completed.
func testEventRescheduled(t *testing.T, mk maker) {
	b := mk(t, fastConfig())
	var calls atomic.Int32
	b.worker.HandleFunc("snoozy", func(context.Context, *taskq.Task) (any, error) {
		if calls.Add(1) == 1 {
			return nil, taskq.Snooze(10 * time.Millisecond)
		}
		return nil, nil
	})
	events, cancel := b.worker.Subscribe()
	defer cancel()
	b.start(t)
	tk, err := b.client.Enqueue(context.Background(), "snoozy", nil)
	require.NoError(t, err)
	ev := nextEvent(t, events, 5*time.Second)
	require.Equal(t, taskq.EventRescheduled, ev.Kind)
	require.Equal(t, taskq.StatusPending, ev.Task.Status)
	require.Equal(t, 0, ev.Task.Attempts, "a put-back attempt is not counted")
	ev = nextEvent(t, events, 5*time.Second)
	require.Equal(t, taskq.EventCompleted, ev.Kind)
	require.Equal(t, tk.ID, ev.Task.ID)
}

// TestSubscriberNeverReading: a subscription nobody reads fills up and
// drops; the worker keeps running tasks at full speed and another
// subscriber receives every event.
func TestSubscriberNeverReading(t *testing.T) {
	t.Parallel()
	b := setup(t, fastConfig())
	b.worker.HandleFunc("n", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	_, cancelStuck := b.worker.Subscribe()
	defer cancelStuck()
	done, cancelDone := b.worker.Subscribe(taskq.EventCompleted)
	defer cancelDone()
	b.start(t)

	const extra = 100
	n := worker.EventBuffer + extra
	reqs := make([]taskq.EnqueueRequest, n)
	for i := range reqs {
		reqs[i] = taskq.EnqueueRequest{Type: "n"}
	}
	_, err := b.client.EnqueueMany(context.Background(), reqs)
	require.NoError(t, err)
	for i := range n {
		ev := nextEvent(t, done, 10*time.Second)
		require.Equal(t, taskq.EventCompleted, ev.Kind, "event %d", i)
	}
	// Subscribers are offered an event in no fixed order: the last drop
	// may be counted just after the other subscriber got the event.
	waitFor(t, 5*time.Second, "the stuck subscriber's drops", func() bool { return b.worker.DroppedEvents() >= extra })
	require.EqualValues(t, extra, b.worker.DroppedEvents(), "the stuck subscriber lost exactly what exceeded its buffer")
	require.EqualValues(t, n, b.obs.count(taskq.OutcomeCompleted))
}

// TestSubscribeCancel: cancel closes the channel, may be called twice, and
// a cancelled subscription receives nothing more (the worker does not send
// on the closed channel).
func TestSubscribeCancel(t *testing.T) {
	t.Parallel()
	b := setup(t, fastConfig())
	b.worker.HandleFunc("n", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	gone, cancelGone := b.worker.Subscribe()
	live, cancelLive := b.worker.Subscribe()
	defer cancelLive()
	cancelGone()
	cancelGone()
	_, ok := <-gone
	require.False(t, ok, "cancel closes the channel")

	b.start(t)
	_, err := b.client.Enqueue(context.Background(), "n", nil)
	require.NoError(t, err)
	require.Equal(t, taskq.EventCompleted, nextEvent(t, live, 5*time.Second).Kind)
	require.Zero(t, b.worker.DroppedEvents())
}

// TestSubscribeNoGoroutineLeak runs alone (not parallel) so that goleak
// sees only its own goroutines: subscribing, receiving, cancelling and
// stopping the worker leave nothing behind.
func TestSubscribeNoGoroutineLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b := setup(t, fastConfig())
	b.worker.HandleFunc("n", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	events, cancel := b.worker.Subscribe()
	_, cancelUnread := b.worker.Subscribe()
	b.start(t)
	for range 3 {
		_, err := b.client.Enqueue(context.Background(), "n", nil)
		require.NoError(t, err)
		require.Equal(t, taskq.EventCompleted, nextEvent(t, events, 5*time.Second).Kind)
	}
	cancel()
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	require.NoError(t, b.worker.Stop(ctx))
	cancelUnread()
}

// gatedQueue holds each Requeue call, after it reached the queue, until
// the test lets it return: the task is runnable again while the attempt
// that put it back has not sent its event.
type gatedQueue struct {
	taskq.Queue
	requeued chan struct{} // a Requeue reached the queue
	gate     chan struct{} // closed by the test to let Requeue return
}

func (q *gatedQueue) Requeue(ctx context.Context, queue string, e taskq.QueueEntry) error {
	err := q.Queue.Requeue(ctx, queue, e)
	q.requeued <- struct{}{}
	<-q.gate
	return err
}

// TestEventsOfOneTaskInOrder: the attempt after a retry or a put-back may
// run and finish before the earlier attempt sends its event; the
// subscriber still receives the earlier attempt's event first.
func TestEventsOfOneTaskInOrder(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		first error
		kind  taskq.EventKind
	}{
		{"Retry", errors.New("flaky"), taskq.EventFailed},
		{"Snooze", taskq.Snooze(0), taskq.EventRescheduled},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			q := &gatedQueue{Queue: queue.NewMemory(), requeued: make(chan struct{}, 1), gate: make(chan struct{})}
			b := setupWith(t, storage.NewMemory(), q, fastConfig())
			var open sync.Once
			release := func() { open.Do(func() { close(q.gate) }) }
			t.Cleanup(release) // before the worker stops, should the test fail first
			var calls atomic.Int32
			b.worker.HandleFunc("twice", func(context.Context, *taskq.Task) (any, error) {
				if calls.Add(1) == 1 {
					return nil, c.first
				}
				return nil, nil
			})
			events, cancel := b.worker.Subscribe()
			defer cancel()
			b.start(t)
			tk, err := b.client.Enqueue(context.Background(), "twice", nil)
			require.NoError(t, err)

			<-q.requeued
			waitStatus(t, b, tk.ID, taskq.StatusCompleted, 5*time.Second)
			select {
			case ev := <-events:
				t.Fatalf("%s event sent while the first attempt's event is pending", ev.Kind)
			case <-time.After(50 * time.Millisecond):
			}
			release()

			ev := nextEvent(t, events, 5*time.Second)
			require.Equal(t, c.kind, ev.Kind)
			ev = nextEvent(t, events, 5*time.Second)
			require.Equal(t, taskq.EventCompleted, ev.Kind)
			require.Equal(t, tk.ID, ev.Task.ID)
			require.EqualValues(t, 2, calls.Load())
		})
	}
}
