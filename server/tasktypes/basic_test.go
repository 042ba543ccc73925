package tasktypes

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

func run(t *testing.T, typ Type, task *taskq.Task) (any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return typ.Handler.ProcessTask(ctx, task)
}

func TestBuiltins(t *testing.T) {
	t.Parallel()
	types, err := Builtins(Config{})
	require.NoError(t, err)
	var names []string
	for _, ty := range types {
		names = append(names, ty.Name)
		require.NotNil(t, ty.Handler)
	}
	require.Equal(t, []string{Noop, Sleep, Fail, Flaky, HTTP}, names)
}

func TestNoop(t *testing.T) {
	t.Parallel()
	res, err := run(t, NoopType(), &taskq.Task{})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"ok": true}, res)
}

func TestSleepValidate(t *testing.T) {
	t.Parallel()
	v := SleepType().Validate
	require.Empty(t, v(map[string]any{}))
	require.Empty(t, v(map[string]any{"duration_ms": float64(60000)}))
	require.Empty(t, v(map[string]any{"duration_ms": json.Number("10")}))
	require.Empty(t, v(map[string]any{"duration_ms": 5}))
	for _, bad := range []any{float64(60001), float64(-1), 1.5, "10", true, json.Number("1e9"), json.Number("x")} {
		ps := v(map[string]any{"duration_ms": bad})
		require.Len(t, ps, 1, "%v", bad)
		require.Equal(t, "metadata.duration_ms", ps[0].Field)
	}
}

func TestSleepRunsAndHonoursCancellation(t *testing.T) {
	t.Parallel()
	res, err := run(t, SleepType(), &taskq.Task{Metadata: map[string]any{"duration_ms": float64(5)}})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"slept_ms": int64(5)}, res)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := SleepType().Handler.ProcessTask(ctx, &taskq.Task{Metadata: map[string]any{"duration_ms": float64(60000)}})
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("sleep did not return after cancellation")
	}

	// Bad metadata stored anyway fails permanently.
	_, err = run(t, SleepType(), &taskq.Task{Metadata: map[string]any{"duration_ms": float64(1e9)}})
	require.ErrorIs(t, err, taskq.ErrValidation)
	require.False(t, taskq.AsError(err).Retryable)
}

func TestFail(t *testing.T) {
	t.Parallel()
	_, err := run(t, FailType(), &taskq.Task{Metadata: map[string]any{}})
	require.Error(t, err)
	require.True(t, taskq.AsError(err).Retryable)
	require.Equal(t, taskq.CodeTaskExecutionFailed, taskq.CodeOf(err))

	_, err = run(t, FailType(), &taskq.Task{Metadata: map[string]any{"retryable": false, "message": "boom"}})
	require.False(t, taskq.AsError(err).Retryable)
	require.Contains(t, err.Error(), "boom")

	require.Len(t, FailType().Validate(map[string]any{"retryable": "no"}), 1)
	require.Len(t, FailType().Validate(map[string]any{"message": 3}), 1)
	require.Empty(t, FailType().Validate(map[string]any{"retryable": true}))
}

func TestFlaky(t *testing.T) {
	t.Parallel()
	md := map[string]any{"failures": float64(2)}
	for attempt := 1; attempt <= 2; attempt++ {
		_, err := run(t, FlakyType(), &taskq.Task{Attempts: attempt, Metadata: md})
		require.Error(t, err)
		require.True(t, taskq.AsError(err).Retryable)
	}
	res, err := run(t, FlakyType(), &taskq.Task{Attempts: 3, Metadata: md})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"ok": true, "attempts": 3}, res)

	// Default: one failure.
	_, err = run(t, FlakyType(), &taskq.Task{Attempts: 1, Metadata: map[string]any{}})
	require.Error(t, err)
	_, err = run(t, FlakyType(), &taskq.Task{Attempts: 2, Metadata: map[string]any{}})
	require.NoError(t, err)

	require.Len(t, FlakyType().Validate(map[string]any{"failures": float64(101)}), 1)
	require.Len(t, FlakyType().Validate(map[string]any{"failures": -1}), 1)
}

func TestRegisterRejectsIncompleteTypes(t *testing.T) {
	t.Parallel()
	err := Register(nil, Type{Name: "x"})
	require.Error(t, err)
	require.False(t, errors.Is(err, taskq.ErrNotFound))
}
