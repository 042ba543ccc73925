package alert_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/alert"
	"github.com/taskq/taskq/breaker"
	"github.com/taskq/taskq/dlq"
	"github.com/taskq/taskq/internal/testclock"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// A breaker opening, half-opening and closing reaches the receiver as
// three events.
func TestBreakerEventsAreDelivered(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	e := setup(t, testConfig(rc.url()))
	e.start(t)
	reg := breaker.NewRegistry(breaker.RegistryConfig{
		Default:       breaker.Config{FailureThreshold: 1, Delay: 20 * time.Millisecond},
		OnStateChange: e.notifier.BreakerChanged,
	})
	ctx := context.Background()
	_ = reg.Do(ctx, "payments", func(context.Context) error { return &breaker.HTTPStatusError{Code: 503} })
	require.Equal(t, breaker.Open, reg.Get("payments").State())
	waitFor(t, 5*time.Second, "the breaker to close", func() bool {
		_ = reg.Do(ctx, "payments", func(context.Context) error { return nil })
		return reg.Get("payments").State() == breaker.Closed
	})

	waitFor(t, 10*time.Second, "three deliveries", func() bool { return len(rc.got()) == 3 })
	require.Empty(t, rc.signatureErrors())
	byKind := map[alert.Kind]map[string]any{}
	for _, d := range rc.got() {
		byKind[d.event.Kind] = d.event.Data
		require.Equal(t, string(d.event.Kind), d.header.Get(alert.HeaderEvent))
	}
	require.Equal(t, map[alert.Kind]map[string]any{
		alert.KindBreakerOpened:   {"breaker": "payments", "from": "closed", "to": "open"},
		alert.KindBreakerHalfOpen: {"breaker": "payments", "from": "open", "to": "half-open"},
		alert.KindBreakerClosed:   {"breaker": "payments", "from": "half-open", "to": "closed"},
	}, byKind)
}

// Breaker events given before Start wait in the buffer; over its size they
// are dropped; Stop enqueues what is buffered.
func TestBreakerEventsBufferedUntilStartAndDrainedByStop(t *testing.T) {
	t.Parallel()
	cfg := testConfig("http://127.0.0.1:1/hook")
	cfg.Buffer = 2
	e := setup(t, cfg)
	for range 3 {
		e.notifier.BreakerChanged("db", breaker.Closed, breaker.Open)
	}
	require.Empty(t, e.alertTasks(t), "nothing enqueued before Start")
	require.Contains(t, e.logs.String(), "alert buffer full")
	ctx := context.Background()
	require.NoError(t, e.notifier.Start(ctx))
	require.NoError(t, e.notifier.Start(ctx), "second Start is a no-op")
	require.NoError(t, e.notifier.Stop(ctx))
	require.NoError(t, e.notifier.Stop(ctx), "second Stop is a no-op")
	require.Len(t, e.alertsOfKind(t, alert.KindBreakerOpened), 2)
}

// The DLQ size alert fires once when the size goes over the threshold and
// again only after the size fell to the re-arm level.
func TestDLQSizeThresholdHysteresis(t *testing.T) {
	t.Parallel()
	cfg := testConfig("http://127.0.0.1:1/hook")
	cfg.DLQSizeThreshold, cfg.DLQSizeRearm = 2, 1
	cfg.Kinds = []alert.Kind{alert.KindDLQSizeExceeded}
	e := setup(t, cfg)
	ctx := context.Background()
	count := func() int { return len(e.alertsOfKind(t, alert.KindDLQSizeExceeded)) }

	a, b := e.deadLetter(t, "job.a"), e.deadLetter(t, "job.b")
	require.Equal(t, 0, count(), "size 2 is not over 2")
	c := e.deadLetter(t, "job.c")
	require.Equal(t, 1, count(), "size 3 is over 2")
	ev := e.alertsOfKind(t, alert.KindDLQSizeExceeded)[0]
	require.EqualValues(t, 3, ev.Data["size"])
	require.EqualValues(t, 2, ev.Data["threshold"])
	e.deadLetter(t, "job.d")
	require.Equal(t, 1, count(), "still over: no second alert")

	require.NoError(t, e.dlq.Remove(ctx, a.ID))
	require.NoError(t, e.dlq.Remove(ctx, b.ID))
	e.deadLetter(t, "job.e")
	require.Equal(t, 1, count(), "size 2 is above the re-arm level 1: not re-armed")

	require.NoError(t, e.dlq.Remove(ctx, c.ID))
	page, err := e.dlq.List(ctx, taskq.DeadLetterFilter{})
	require.NoError(t, err)
	require.NoError(t, e.dlq.Remove(ctx, page.Tasks[0].ID)) // size 1: re-armed
	e.deadLetter(t, "job.f")
	require.Equal(t, 1, count())
	e.deadLetter(t, "job.g")
	require.Equal(t, 2, count(), "re-armed alert fires again")

	res, err := e.dlq.Cleanup(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 0, res.Remaining)
	for _, typ := range []string{"job.h", "job.i", "job.j"} {
		e.deadLetter(t, typ)
	}
	require.Equal(t, 3, count(), "cleanup re-armed it")
}

// Start's job checks the DLQ size on its own, for entries that did not go
// through the wrapper.
func TestPeriodicDLQSizeCheck(t *testing.T) {
	t.Parallel()
	cfg := testConfig("http://127.0.0.1:1/hook")
	cfg.DLQSizeThreshold = 1
	cfg.CheckInterval = 5 * time.Millisecond
	e := setup(t, cfg)
	ctx := context.Background()
	for range 2 {
		tk, err := e.client.Enqueue(ctx, "job.x", nil)
		require.NoError(t, err)
		require.NoError(t, e.inner.Move(ctx, tk, errors.New("gone")))
	}
	require.Empty(t, e.alertTasks(t))
	require.NoError(t, e.notifier.Start(ctx))
	waitFor(t, 5*time.Second, "the size alert", func() bool {
		return len(e.alertsOfKind(t, alert.KindDLQSizeExceeded)) == 1
	})
	require.NoError(t, e.notifier.Stop(ctx))
	require.Len(t, e.alertsOfKind(t, alert.KindDLQSizeExceeded), 1)
}

// DeadLetterRate caps task.dead_lettered events per minute; the next one
// sent counts the dropped ones. Delivery tasks never cause one.
func TestDeadLetterRate(t *testing.T) {
	t.Parallel()
	clock := testclock.New(time.Now())
	cfg := testConfig("http://127.0.0.1:1/hook")
	cfg.DeadLetterRate = 2
	cfg.Now = clock.Now
	e := setup(t, cfg)
	for range 5 {
		e.deadLetter(t, "job.a")
	}
	require.Len(t, e.alertsOfKind(t, alert.KindTaskDeadLettered), 2)
	clock.Advance(time.Minute)
	last := e.deadLetter(t, "job.b")
	evs := e.alertsOfKind(t, alert.KindTaskDeadLettered)
	require.Len(t, evs, 3)
	require.Equal(t, last.ID, evs[0].Data["task_id"])
	require.EqualValues(t, 3, evs[0].Data["suppressed"])
	require.Equal(t, string(taskq.CodeValidation), evs[0].Data["error_code"])
	require.Equal(t, "bad input", evs[0].Data["error_message"])

	clock.Advance(time.Minute)
	e.deadLetter(t, alert.TaskType) // a failed delivery
	require.Len(t, e.alertsOfKind(t, alert.KindTaskDeadLettered), 3, "no alert about a delivery task")
}

// Without URLs the Notifier does nothing and changes nothing.
func TestNoURLsIsANoOp(t *testing.T) {
	t.Parallel()
	store, q := storage.NewMemory(), queue.NewMemory()
	client, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	require.NoError(t, err)
	n, err := alert.New(client, alert.Config{DLQSizeThreshold: 1})
	require.NoError(t, err)
	require.False(t, n.Enabled())
	d, err := dlq.New(store, q, taskq.DeadLetterQueueConfig{}, dlq.Options{})
	require.NoError(t, err)
	require.Same(t, d, n.WrapDLQ(d))
	ctx := context.Background()
	require.NoError(t, n.Start(ctx))
	n.BreakerChanged("x", breaker.Closed, breaker.Open)
	require.NoError(t, n.Emit(ctx, alert.Event{Kind: alert.KindBreakerOpened}))
	require.NoError(t, n.Stop(ctx))
	page, err := client.List(ctx, taskq.TaskFilter{})
	require.NoError(t, err)
	require.Empty(t, page.Tasks)
}

// The wrapper exposes the DLQ it wraps and passes failures through.
func TestWrapDLQUnwrapAndMoveFailure(t *testing.T) {
	t.Parallel()
	e := setup(t, testConfig("http://127.0.0.1:1/hook"))
	u, ok := e.dlq.(interface{ Unwrap() taskq.DeadLetterQueue })
	require.True(t, ok)
	require.Same(t, e.inner, u.Unwrap())
	ctx := context.Background()
	tk, err := e.client.Enqueue(ctx, "job.a", nil)
	require.NoError(t, err)
	_, err = e.client.Cancel(ctx, tk.ID)
	require.NoError(t, err)
	err = e.dlq.Move(ctx, tk, errors.New("x"))
	require.ErrorIs(t, err, taskq.ErrConflict, "a cancelled task cannot move")
	require.Empty(t, e.alertTasks(t), "no alert for a failed move")
}
