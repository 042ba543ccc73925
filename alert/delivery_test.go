package alert_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/alert"
)

// A task failing for good reaches the DLQ through the worker, and the
// receiver gets a signed task.dead_lettered event about it.
func TestDeadLetteredTaskIsDelivered(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	e := setup(t, testConfig(rc.url()))
	e.worker.HandleFunc("job.fail", func(context.Context, *taskq.Task) (any, error) {
		return nil, taskq.Permanent(errors.New("boom"))
	})
	e.start(t)
	before := time.Now()
	tk, err := e.client.Enqueue(context.Background(), "job.fail", map[string]any{"x": 1})
	require.NoError(t, err)
	e.waitTask(t, tk.ID, taskq.StatusDeadLetter)

	waitFor(t, 10*time.Second, "a delivery", func() bool { return len(rc.got()) == 1 })
	d := rc.got()[0]
	require.Empty(t, rc.signatureErrors())
	require.Equal(t, alert.KindTaskDeadLettered, d.event.Kind)
	require.NotEmpty(t, d.event.ID)
	require.WithinRange(t, d.event.Time, before.Add(-time.Second), time.Now())
	require.Equal(t, tk.ID, d.event.Data["task_id"])
	require.Equal(t, "job.fail", d.event.Data["task_type"])
	require.Equal(t, "default", d.event.Data["queue"])
	require.Equal(t, "medium", d.event.Data["priority"])
	require.Equal(t, string(taskq.CodeTaskExecutionFailed), d.event.Data["error_code"])
	require.Equal(t, "boom", d.event.Data["error_message"])
	require.EqualValues(t, 1, d.event.Data["attempts"])
	require.EqualValues(t, 0, d.event.Data["suppressed"])

	require.Equal(t, "application/json", d.header.Get("Content-Type"))
	require.Equal(t, string(alert.KindTaskDeadLettered), d.header.Get(alert.HeaderEvent))
	ts, err := strconv.ParseInt(d.header.Get(alert.HeaderTimestamp), 10, 64)
	require.NoError(t, err)
	require.InDelta(t, time.Now().Unix(), ts, 5)
	require.True(t, strings.HasPrefix(d.header.Get(alert.HeaderSignature), "sha256="))

	// The delivery header names the delivery task, which completes.
	at := e.waitTask(t, d.header.Get(alert.HeaderDelivery), taskq.StatusCompleted)
	require.Equal(t, alert.TaskType, at.Type)
	require.Equal(t, taskq.PriorityHigh, at.Priority)
	require.Equal(t, 5, at.MaxRetries)
	require.JSONEq(t, `{"status":204,"host":"`+strings.TrimPrefix(rc.srv.URL, "http://")+`"}`, string(at.Result))
	require.Len(t, e.alertTasks(t), 1)
}

// A receiver failing with 500 twice gets the event on the third attempt,
// always as the same delivery of the same event.
func TestRetriedUntilReceiverRecovers(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(n int) (int, http.Header) {
		if n <= 2 {
			return http.StatusInternalServerError, nil
		}
		return http.StatusOK, nil
	})
	e := setup(t, testConfig(rc.url()))
	e.start(t)
	require.NoError(t, e.notifier.Emit(context.Background(), alert.Event{ID: "ev-1", Kind: "test.ping", Data: map[string]any{"a": "b"}}))

	waitFor(t, 10*time.Second, "three attempts", func() bool { return len(rc.got()) == 3 })
	got := rc.got()
	require.Empty(t, rc.signatureErrors())
	id := got[0].header.Get(alert.HeaderDelivery)
	for i, d := range got {
		require.Equal(t, "ev-1", d.event.ID, "attempt %d", i+1)
		require.Equal(t, alert.Kind("test.ping"), d.event.Kind)
		require.Equal(t, map[string]any{"a": "b"}, d.event.Data)
		require.Equal(t, id, d.header.Get(alert.HeaderDelivery))
	}
	at := e.waitTask(t, id, taskq.StatusCompleted)
	require.Equal(t, 2, at.RetryCount)
	require.Equal(t, 3, at.Attempts)
	e.stopWorker(t)
	require.Len(t, rc.got(), 3, "no attempt after success")
}

// Retry-After of a 503 delays the next attempt past the short backoff.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(n int) (int, http.Header) {
		if n == 1 {
			return http.StatusServiceUnavailable, http.Header{"Retry-After": {"1"}}
		}
		return http.StatusNoContent, nil
	})
	cfg := testConfig(rc.url())
	cfg.RetryMaxDelay = 5 * time.Second // also caps Retry-After
	e := setup(t, cfg)
	e.start(t)
	require.NoError(t, e.notifier.Emit(context.Background(), alert.Event{Kind: "test.ping"}))
	waitFor(t, 10*time.Second, "two attempts", func() bool { return len(rc.got()) == 2 })
	got := rc.got()
	// The backoff alone is at most 5ms for the first retry.
	require.GreaterOrEqual(t, got[1].at.Sub(got[0].at), 900*time.Millisecond)
}

// A 400 fails the delivery for good: one attempt, the delivery task in the
// DLQ, and no alert about that delivery task.
func TestClientErrorIsNotRetried(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(int) (int, http.Header) { return http.StatusBadRequest, nil })
	e := setup(t, testConfig(rc.url()))
	e.worker.HandleFunc("job.fail", func(context.Context, *taskq.Task) (any, error) {
		return nil, taskq.Permanent(errors.New("boom"))
	})
	e.start(t)
	tk, err := e.client.Enqueue(context.Background(), "job.fail", nil)
	require.NoError(t, err)
	e.waitTask(t, tk.ID, taskq.StatusDeadLetter)
	waitFor(t, 10*time.Second, "a delivery", func() bool { return len(rc.got()) == 1 })
	id := rc.got()[0].header.Get(alert.HeaderDelivery)
	at := e.waitTask(t, id, taskq.StatusDeadLetter)
	e.stopWorker(t) // every outcome, and any alert it would send, is recorded

	require.Len(t, rc.got(), 1)
	require.Equal(t, 0, at.RetryCount)
	require.NotNil(t, at.Error)
	require.False(t, at.Error.Retryable)
	require.Contains(t, at.Error.Message, "answered 400 Bad Request: answer from the receiver")
	require.NotContains(t, at.Error.Message, "TOKEN-do-not-leak")
	tasks := e.alertTasks(t)
	require.Len(t, tasks, 1, "no alert about the failed alert")
	require.Equal(t, id, tasks[0].ID)
	size, err := e.dlq.Size(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, size)
	require.NotContains(t, e.logs.String(), "TOKEN-do-not-leak")
	require.NotContains(t, e.logs.String(), string(testSecret))
}

// Every URL gets its own delivery; emitting an event again enqueues
// nothing new; tasks never hold the URL.
func TestEmitIsIdempotentPerURL(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	e := setup(t, testConfig(rc.url(), rc.srv.URL+"/second"))
	ctx := context.Background()
	ev := alert.Event{ID: "ev-42", Kind: alert.KindBreakerOpened}
	require.NoError(t, e.notifier.Emit(ctx, ev))
	require.NoError(t, e.notifier.Emit(ctx, ev))
	require.Len(t, e.alertTasks(t), 2)
	for _, tk := range e.alertTasks(t) {
		b, err := tk.MarshalJSON()
		require.NoError(t, err)
		require.NotContains(t, string(b), "TOKEN-do-not-leak")
		require.NotContains(t, string(b), "/second")
		require.Empty(t, tk.Owner, "only admins see delivery tasks")
	}
	require.NoError(t, e.notifier.Emit(ctx, alert.Event{Kind: alert.KindBreakerOpened}))
	require.Len(t, e.alertTasks(t), 4)

	e.start(t)
	waitFor(t, 10*time.Second, "four deliveries", func() bool { return len(rc.got()) == 4 })
	paths := map[string]int{}
	for _, d := range rc.got() {
		paths[d.header.Get(alert.HeaderDelivery)]++
	}
	require.Len(t, paths, 4, "one delivery id per task")
	require.Empty(t, rc.signatureErrors())
}

// Kinds restricts what is sent; an invalid kind is refused.
func TestEmitKindsFilterAndValidation(t *testing.T) {
	t.Parallel()
	cfg := testConfig("http://127.0.0.1:1/hook")
	cfg.Kinds = []alert.Kind{alert.KindBreakerOpened}
	e := setup(t, cfg)
	ctx := context.Background()
	require.NoError(t, e.notifier.Emit(ctx, alert.Event{Kind: alert.KindBreakerClosed}))
	require.Empty(t, e.alertTasks(t))
	require.NoError(t, e.notifier.Emit(ctx, alert.Event{Kind: alert.KindBreakerOpened}))
	require.Len(t, e.alertTasks(t), 1)
	err := e.notifier.Emit(ctx, alert.Event{Kind: "bad kind\n"})
	require.ErrorIs(t, err, taskq.ErrValidation)
	err = e.notifier.Emit(ctx, alert.Event{Kind: alert.KindBreakerOpened, Data: map[string]any{"f": func() {}}})
	require.ErrorIs(t, err, taskq.ErrValidation)
	require.Len(t, e.alertTasks(t), 1)
}
