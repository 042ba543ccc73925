package taskqtest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/taskqtest"
	"github.com/taskq/taskq/worker"
)

type welcome struct {
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
}

func (welcome) Kind() string { return "email.welcome" }

// recorder is a TB that records failures instead of failing the test, to
// check that the helpers do fail when they should.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtimeGoexit()
}

// runtimeGoexit ends the helper's goroutine the way t.Fatalf does.
var runtimeGoexit = func() { panic(errFatal) }

var errFatal = errors.New("fatal")

// expectFailure runs f with a recorder and returns what it reported.
func expectFailure(t *testing.T, f func(tb taskqtest.TB)) string {
	t.Helper()
	return expectFailureOn(t, &recorder{TB: t}, f)
}

// expectFailureOn is expectFailure reporting to r (the TB an engine was
// built with).
func expectFailureOn(t *testing.T, r *recorder, f func(tb taskqtest.TB)) string {
	t.Helper()
	r.mu.Lock()
	r.failed = nil
	r.mu.Unlock()
	func() {
		defer func() {
			if p := recover(); p != nil && p != errFatal {
				panic(p)
			}
		}()
		f(r)
	}()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.failed, "the helper did not fail")
	return strings.Join(r.failed, "\n")
}

func TestEngineRunsTasksAndWaits(t *testing.T) {
	t.Parallel()
	e := taskqtest.New(t)
	var mu sync.Mutex
	var got []welcome
	worker.HandleArgs(e.Worker, func(ctx context.Context, j *taskq.Job[welcome]) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, j.Args)
		return map[string]any{"sent": true}, nil
	})
	ctx := context.Background()
	tk, err := e.Client.EnqueueArgs(ctx, welcome{UserID: 9007199254740993, Email: "a@example.com"})
	require.NoError(t, err)
	done := e.WaitStatus(tk.ID, taskq.StatusCompleted)
	require.JSONEq(t, `{"sent":true}`, string(done.Result))
	e.WaitIdle()
	mu.Lock()
	require.Equal(t, []welcome{{UserID: 9007199254740993, Email: "a@example.com"}}, got)
	mu.Unlock()

	require.Equal(t, tk.ID, taskqtest.RequireEnqueued(t, e.Store, welcome{UserID: 9007199254740993, Email: "a@example.com"}).ID)
	taskqtest.RequireNotEnqueued(t, e.Store, welcome{UserID: 1})
}

func TestHelpersFail(t *testing.T) {
	t.Parallel()
	e := taskqtest.New(t)
	worker.HandleArgs(e.Worker, func(ctx context.Context, j *taskq.Job[welcome]) (any, error) {
		return nil, taskq.Permanent(errors.New("mailbox does not exist"))
	})
	tk, err := e.Client.EnqueueArgs(context.Background(), welcome{UserID: 7})
	require.NoError(t, err)

	msg := expectFailure(t, func(tb taskqtest.TB) { taskqtest.RequireEnqueued(tb, e.Store, welcome{UserID: 8}) })
	require.Contains(t, msg, "no email.welcome task")
	msg = expectFailure(t, func(tb taskqtest.TB) { taskqtest.RequireNotEnqueued(tb, e.Store, welcome{UserID: 7}) })
	require.Contains(t, msg, tk.ID)

	dead := e.WaitStatus(tk.ID, taskq.StatusDeadLetter)
	require.Equal(t, taskq.CodeTaskExecutionFailed, dead.Error.Code)
}

// TestWaitStatusReportsTerminalMismatch: waiting for completed on a task
// that went to the DLQ fails at once, naming the status and the error,
// instead of waiting for the timeout.
func TestWaitStatusReportsTerminalMismatch(t *testing.T) {
	t.Parallel()
	r := &recorder{TB: t}
	e := taskqtest.New(r, taskqtest.WithTimeout(time.Minute))
	worker.HandleArgs(e.Worker, func(ctx context.Context, j *taskq.Job[welcome]) (any, error) {
		return nil, taskq.Permanent(errors.New("bounced"))
	})
	tk, err := e.Client.EnqueueArgs(context.Background(), welcome{UserID: 1})
	require.NoError(t, err)
	start := time.Now()
	msg := expectFailureOn(t, r, func(taskqtest.TB) { e.WaitStatus(tk.ID, taskq.StatusCompleted) })
	require.Contains(t, msg, "dead_letter")
	require.Contains(t, msg, "bounced")
	require.Less(t, time.Since(start), 30*time.Second, "failed at once, not after the timeout")
}

// TestWaitIdleTimesOut: a task that never finishes keeps the engine busy;
// WaitIdle fails after its timeout, naming what is still queued.
func TestWaitIdleTimesOut(t *testing.T) {
	t.Parallel()
	r := &recorder{TB: t}
	e := taskqtest.New(r, taskqtest.WithTimeout(300*time.Millisecond))
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	worker.HandleArgs(e.Worker, func(ctx context.Context, j *taskq.Job[welcome]) (any, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	})
	_, err := e.Client.EnqueueArgs(context.Background(), welcome{UserID: 2})
	require.NoError(t, err)
	msg := expectFailureOn(t, r, func(taskqtest.TB) { e.WaitIdle() })
	require.Contains(t, msg, "not idle")
	require.Contains(t, msg, "leased")
}

func TestRunCallsTheHandlerDirectly(t *testing.T) {
	t.Parallel()
	handler := func(ctx context.Context, j *taskq.Job[welcome]) (any, error) {
		if j.Attempts > 1 {
			return map[string]any{"retried": j.Args.Email}, nil
		}
		return nil, errors.New("first attempt fails")
	}
	_, err := taskqtest.Run(t, handler, welcome{Email: "b@example.com"})
	require.EqualError(t, err, "first attempt fails")
	res, err := taskqtest.Run(t, handler, welcome{Email: "b@example.com"}, taskqtest.Attempt(2))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"retried": "b@example.com"}, res)
}
