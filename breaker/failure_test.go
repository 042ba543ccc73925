package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/breaker"
)

func TestDefaultIsFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error", errBoom, true},
		{"deadline", context.DeadlineExceeded, true},
		{"wrapped deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), true},
		{"canceled", context.Canceled, false},
		{"wrapped canceled", fmt.Errorf("get: %w", context.Canceled), false},
		{"task cancelled", taskq.ErrTaskCancelled, false},
		{"not found", taskq.ErrNotFound, false},
		{"validation", taskq.Errorf(taskq.CodeValidation, "bad %s", "x"), false},
		{"invalid input", taskq.ErrInvalidInput, false},
		{"unauthorized", taskq.ErrUnauthorized, false},
		{"forbidden", fmt.Errorf("call: %w", taskq.ErrForbidden), false},
		{"conflict", taskq.ErrConflict, false},
		{"service unavailable", taskq.ErrUnavailable, true},
		{"network", taskq.ErrNetwork, true},
		{"task timeout", taskq.ErrTaskTimeout, true},
		{"permanent internal", taskq.Permanent(errBoom), true},
		{"http 500", &breaker.HTTPStatusError{Code: 500}, true},
		{"http 503 wrapped", fmt.Errorf("call: %w", &breaker.HTTPStatusError{Code: 503}), true},
		{"http 429", &breaker.HTTPStatusError{Code: 429}, true},
		{"http 404", &breaker.HTTPStatusError{Code: 404}, false},
		{"http 400", &breaker.HTTPStatusError{Code: 400}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, breaker.DefaultIsFailure(tc.err))
		})
	}
}

func TestFailOnStatus(t *testing.T) {
	t.Parallel()
	isFailure := breaker.FailOnStatus(502, 503, 504)
	require.True(t, isFailure(&breaker.HTTPStatusError{Code: 503}))
	require.True(t, isFailure(fmt.Errorf("x: %w", &breaker.HTTPStatusError{Code: 502})))
	require.False(t, isFailure(&breaker.HTTPStatusError{Code: 500}), "500 not chosen")
	require.False(t, isFailure(&breaker.HTTPStatusError{Code: 429}), "429 not chosen")
	require.True(t, isFailure(errBoom), "other errors as DefaultIsFailure")
	require.True(t, isFailure(context.DeadlineExceeded))
	require.False(t, isFailure(context.Canceled))
	require.False(t, isFailure(taskq.ErrNotFound))
	require.False(t, isFailure(nil))

	none := breaker.FailOnStatus()
	require.False(t, none(&breaker.HTTPStatusError{Code: 500}))
}

func TestDefaultFailureStatus(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]bool{200: false, 302: false, 400: false, 404: false, 428: false, 429: true, 500: true, 503: true, 599: true} {
		require.Equal(t, want, breaker.DefaultFailureStatus(code), "status %d", code)
	}
}

func TestCheckResponse(t *testing.T) {
	t.Parallel()
	require.NoError(t, breaker.CheckResponse(&http.Response{StatusCode: 200}))
	require.NoError(t, breaker.CheckResponse(&http.Response{StatusCode: 304}))

	err := breaker.CheckResponse(&http.Response{StatusCode: 503, Status: "503 Service Unavailable"})
	var se *breaker.HTTPStatusError
	require.True(t, errors.As(err, &se))
	require.Equal(t, 503, se.Code)
	require.Equal(t, "http status 503 Service Unavailable", err.Error())
	require.Equal(t, "http status 404", (&breaker.HTTPStatusError{Code: 404}).Error())
}
