package breaker

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/taskq/taskq"
)

// DefaultIsFailure is the default Config.IsFailure. Every non-nil error is a
// failure of the dependency, timeouts (context.DeadlineExceeded) included,
// except:
//   - context.Canceled and taskq task_cancelled: the caller gave up;
//   - taskq errors whose code says the request, not the dependency, was at
//     fault: invalid_input, validation_error, not_found, unauthorized,
//     forbidden, conflict;
//   - an *HTTPStatusError whose status DefaultFailureStatus rejects (so 4xx
//     other than 429 count as successes: the dependency answered).
func DefaultIsFailure(err error) bool {
	return isFailure(err, DefaultFailureStatus)
}

// DefaultFailureStatus reports whether an HTTP status counts as a failure
// by default: 429 Too Many Requests and every 5xx.
func DefaultFailureStatus(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// FailOnStatus returns an IsFailure function that treats errors as
// DefaultIsFailure does, except that an *HTTPStatusError is a failure
// exactly when its code is one of codes.
func FailOnStatus(codes ...int) func(error) bool {
	codes = slices.Clone(codes)
	return func(err error) bool {
		return isFailure(err, func(code int) bool { return slices.Contains(codes, code) })
	}
}

// clientFault lists the taskq codes that blame the request, not the
// dependency.
var clientFault = map[taskq.ErrorCode]bool{
	taskq.CodeInvalidInput: true, taskq.CodeValidation: true, taskq.CodeNotFound: true,
	taskq.CodeUnauthorized: true, taskq.CodeForbidden: true, taskq.CodeConflict: true,
	taskq.CodeTaskCancelled: true,
}

func isFailure(err error, failStatus func(int) bool) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var se *HTTPStatusError
	if errors.As(err, &se) {
		return failStatus(se.Code)
	}
	var te *taskq.Error
	if errors.As(err, &te) && clientFault[te.Code] {
		return false
	}
	return true
}

// HTTPStatusError reports an HTTP response whose status is an error. Return
// it (for instance from CheckResponse) inside Do so that the breaker's
// IsFailure can judge the status.
type HTTPStatusError struct {
	// Code is the status code, such as 503.
	Code int
	// Status is the status line text, such as "503 Service Unavailable";
	// it may be empty.
	Status string
}

// Error implements error.
func (e *HTTPStatusError) Error() string {
	if e.Status != "" {
		return "http status " + e.Status
	}
	return "http status " + strconv.Itoa(e.Code)
}

// CheckResponse returns nil when resp's status is below 400, and an
// *HTTPStatusError otherwise. It does not read or close the body.
func CheckResponse(resp *http.Response) error {
	if resp.StatusCode < 400 {
		return nil
	}
	return &HTTPStatusError{Code: resp.StatusCode, Status: resp.Status}
}
