package taskq_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// TestErrorConstructors checks, for every way of making an error, its text
// (no part said twice), its code, its retryability and what it matches.
func TestErrorConstructors(t *testing.T) {
	t.Parallel()
	cause := errors.New("mailbox does not exist")
	wrappedConflict := fmt.Errorf("update: %w", taskq.NewError(taskq.CodeConflict, "task is running"))
	cases := []struct {
		name      string
		err       error
		text      string
		code      taskq.ErrorCode
		retryable bool
		is        []error
		isNot     []error
	}{
		{"NewError", taskq.NewError(taskq.CodeNetwork, "dns failed"), "network_error: dns failed", taskq.CodeNetwork, true,
			[]error{taskq.ErrNetwork}, []error{taskq.ErrInternal}},
		{"NewError without message", taskq.NewError(taskq.CodeNotFound, ""), "not_found", taskq.CodeNotFound, false,
			[]error{taskq.ErrNotFound}, []error{taskq.ErrConflict}},
		{"Errorf with %w", taskq.Errorf(taskq.CodeInternal, "get task %s: %w", "t1", cause),
			"internal_error: get task t1: mailbox does not exist", taskq.CodeInternal, true,
			[]error{taskq.ErrInternal, cause}, []error{taskq.ErrNotFound}},
		{"Errorf with %w in the middle", taskq.Errorf(taskq.CodeInternal, "get (%w) again", cause),
			"internal_error: get (mailbox does not exist) again", taskq.CodeInternal, true,
			[]error{cause}, nil},
		{"Errorf without cause", taskq.Errorf(taskq.CodeValidation, "field %q", "x"), `validation_error: field "x"`,
			taskq.CodeValidation, false, []error{taskq.ErrValidation}, nil},
		{"WrapError", taskq.WrapError(taskq.CodeNotFound, "task not found", cause),
			"not_found: task not found: mailbox does not exist", taskq.CodeNotFound, false,
			[]error{taskq.ErrNotFound, cause}, []error{taskq.ErrConflict}},
		{"WrapError wrapped again", fmt.Errorf("get: %w", taskq.WrapError(taskq.CodeNotFound, "task not found", cause)),
			"get: not_found: task not found: mailbox does not exist", taskq.CodeNotFound, false,
			[]error{taskq.ErrNotFound, cause}, nil},
		{"Permanent of a plain error", taskq.Permanent(cause), "task_execution_failed: mailbox does not exist",
			taskq.CodeTaskExecutionFailed, false, []error{taskq.ErrTaskExecution, cause}, nil},
		{"Permanent of an *Error", taskq.Permanent(taskq.NewError(taskq.CodeNetwork, "dns")), "network_error: dns",
			taskq.CodeNetwork, false, []error{taskq.ErrNetwork}, nil},
		{"Permanent of a wrapped *Error", taskq.Permanent(wrappedConflict), "update: conflict: task is running",
			taskq.CodeConflict, false, []error{taskq.ErrConflict}, []error{taskq.ErrDuplicate}},
		{"RetryAfter of a plain error", taskq.RetryAfter(cause, time.Minute), "task_execution_failed: mailbox does not exist",
			taskq.CodeTaskExecutionFailed, true, []error{cause}, nil},
		{"RetryAfter of nil", taskq.RetryAfter(nil, time.Minute), "task_execution_failed: task execution failed",
			taskq.CodeTaskExecutionFailed, true, []error{taskq.ErrTaskExecution}, nil},
		{"RetryAfter of an *Error", taskq.RetryAfter(taskq.NewError(taskq.CodeValidation, "bad"), time.Second),
			"validation_error: bad", taskq.CodeValidation, true, []error{taskq.ErrValidation}, nil},
		{"AsError of a plain error", taskq.AsError(cause), "task_execution_failed: mailbox does not exist",
			taskq.CodeTaskExecutionFailed, true, []error{cause}, nil},
		{"AsError of a deadline", taskq.AsError(fmt.Errorf("x: %w", context.DeadlineExceeded)),
			"task_timeout: task timed out: x: context deadline exceeded", taskq.CodeTaskTimeout, true,
			[]error{taskq.ErrTaskTimeout, context.DeadlineExceeded}, nil},
		{"AsError of a cancellation", taskq.AsError(context.Canceled), "task_cancelled: task cancelled: context canceled",
			taskq.CodeTaskCancelled, false, []error{taskq.ErrTaskCancelled, context.Canceled}, nil},
		{"NewDuplicateError", taskq.NewDuplicateError("", cause),
			"conflict: task with this id or idempotency key exists: mailbox does not exist", taskq.CodeConflict, false,
			[]error{taskq.ErrDuplicate, cause}, []error{taskq.ErrConflict}},
		{"conflict", taskq.NewError(taskq.CodeConflict, "task is completed"), "conflict: task is completed",
			taskq.CodeConflict, false, []error{taskq.ErrConflict}, []error{taskq.ErrDuplicate}},
		{"sentinel ErrDuplicate", taskq.ErrDuplicate, "conflict: task with this id or idempotency key exists",
			taskq.CodeConflict, false, []error{taskq.ErrDuplicate}, []error{taskq.ErrConflict}},
		{"sentinel ErrConflict", taskq.ErrConflict, "conflict", taskq.CodeConflict, false,
			[]error{taskq.ErrConflict}, []error{taskq.ErrDuplicate}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.text, c.err.Error())
			require.Equal(t, c.code, taskq.CodeOf(c.err))
			require.Equal(t, c.retryable, taskq.AsError(c.err).Retryable)
			for _, target := range c.is {
				require.ErrorIs(t, c.err, target)
			}
			for _, target := range c.isNot {
				require.NotErrorIs(t, c.err, target)
			}
			stored := taskq.TaskErrorFrom(c.err)
			require.Equal(t, c.code, stored.Code)
			require.NotContains(t, stored.Message, string(c.code)+": "+string(c.code), "stored message repeats the code")
		})
	}
}

func TestErrorCodesAreReadOnly(t *testing.T) {
	t.Parallel()
	codes := taskq.ErrorCodes()
	require.Len(t, codes, 14)
	for _, c := range codes {
		require.True(t, c.Valid())
	}
	codes[0] = "changed"
	require.Equal(t, taskq.CodeUnauthorized, taskq.ErrorCodes()[0], "a caller cannot change the list")
	require.False(t, taskq.ErrorCode("nope").Valid())
	require.Nil(t, taskq.Permanent(nil))
	require.Equal(t, time.Minute, taskq.AsError(taskq.RetryAfter(errors.New("slow"), time.Minute)).RetryAfter)
	require.Equal(t, taskq.CodeInternal, taskq.CodeOf(errors.New("plain")))
	require.Nil(t, taskq.AsError(nil))
}
