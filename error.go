package taskq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrorCode names a class of error. The same codes appear in the HTTP API's
// error bodies and in the error stored on a failed task.
type ErrorCode string

// The error codes.
const (
	CodeUnauthorized        ErrorCode = "unauthorized"
	CodeInvalidInput        ErrorCode = "invalid_input"
	CodeNotFound            ErrorCode = "not_found"
	CodeRateLimitExceeded   ErrorCode = "rate_limit_exceeded"
	CodeServiceUnavailable  ErrorCode = "service_unavailable"
	CodeInternal            ErrorCode = "internal_error"
	CodeNetwork             ErrorCode = "network_error"
	CodeValidation          ErrorCode = "validation_error"
	CodeTaskExecutionFailed ErrorCode = "task_execution_failed"
	CodeTaskTimeout         ErrorCode = "task_timeout"
	CodeTaskCancelled       ErrorCode = "task_cancelled"
	CodeForbidden           ErrorCode = "forbidden"
	CodeConflict            ErrorCode = "conflict"
	CodeQuotaExceeded       ErrorCode = "quota_exceeded"
)

var errorCodes = [...]ErrorCode{
	CodeUnauthorized, CodeInvalidInput, CodeNotFound, CodeRateLimitExceeded,
	CodeServiceUnavailable, CodeInternal, CodeNetwork, CodeValidation,
	CodeTaskExecutionFailed, CodeTaskTimeout, CodeTaskCancelled, CodeForbidden, CodeConflict,
	CodeQuotaExceeded,
}

// ErrorCodes returns every code, in a new slice.
func ErrorCodes() []ErrorCode { return append([]ErrorCode(nil), errorCodes[:]...) }

// Valid reports whether c is a known code.
func (c ErrorCode) Valid() bool {
	for _, k := range errorCodes {
		if c == k {
			return true
		}
	}
	return false
}

// Error is the error type of taskq. Errors compare with errors.Is by code:
// errors.Is(err, ErrNotFound) holds for any *Error with CodeNotFound in the
// chain. A few sentinels refine a code with a kind of their own and match
// only errors of that kind: ErrDuplicate (code conflict) matches duplicate
// creations and nothing else (ErrUniqueExists only those of unique tasks),
// and ErrConflict does not match them.
type Error struct {
	// Code classifies the error.
	Code ErrorCode
	// Message is a human-readable, sanitized description.
	Message string
	// Retryable tells whether running the operation again may succeed.
	Retryable bool
	// RetryAfter, when positive, asks that a retry wait at least this long.
	RetryAfter time.Duration
	// Details lists per-field problems of a validation error.
	Details []FieldError
	// Err is the wrapped cause, if any.
	Err error

	// kind refines Code for errors.Is; "" for most errors.
	kind string
}

// FieldError names one invalid input field.
type FieldError struct {
	// Field is the JSON name of the field.
	Field string `json:"field"`
	// Message says what is wrong with it.
	Message string `json:"message"`
}

// Error implements error: "code: message: cause". No text is said twice:
// the cause is left out when the message already holds it, and the code
// when the text already names it.
func (e *Error) Error() string {
	t := e.text()
	if t == string(e.Code) || strings.Contains(t, string(e.Code)+": ") {
		return t
	}
	return string(e.Code) + ": " + t
}

// text is the description without the code: the message, followed by the
// cause unless the message already holds it.
func (e *Error) text() string {
	switch {
	case e.Message != "":
		if e.Err != nil {
			if c := e.Err.Error(); c != "" && !strings.Contains(e.Message, c) {
				return e.Message + ": " + c
			}
		}
		return e.Message
	case e.Err != nil && e.Err.Error() != "":
		return e.Err.Error()
	}
	return string(e.Code)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same code and kind; a unique
// creation's duplicate (ErrUniqueExists) also matches ErrDuplicate.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.kind == e.kind || t.kind == kindDuplicate && e.kind == kindUnique)
}

// kindDuplicate marks the conflict of a creation that found an existing
// task with the same id or idempotency key.
const kindDuplicate = "duplicate"

// NewDuplicateError returns an error matching ErrDuplicate (and not
// ErrConflict), for a storage that found an existing task with the same id
// or idempotency key. cause may be nil.
func NewDuplicateError(message string, cause error) *Error {
	if message == "" {
		message = ErrDuplicate.Message
	}
	return &Error{Code: CodeConflict, Message: message, Err: cause, kind: kindDuplicate}
}

// Sentinels for errors.Is; each matches any *Error of its code.
var (
	ErrNotFound           = &Error{Code: CodeNotFound, Message: "not found"}
	ErrConflict           = &Error{Code: CodeConflict, Message: "conflict"}
	ErrUnavailable        = &Error{Code: CodeServiceUnavailable, Message: "service unavailable", Retryable: true}
	ErrInvalidInput       = &Error{Code: CodeInvalidInput, Message: "invalid input"}
	ErrValidation         = &Error{Code: CodeValidation, Message: "validation failed"}
	ErrUnauthorized       = &Error{Code: CodeUnauthorized, Message: "unauthorized"}
	ErrForbidden          = &Error{Code: CodeForbidden, Message: "forbidden"}
	ErrRateLimited        = &Error{Code: CodeRateLimitExceeded, Message: "rate limit exceeded", Retryable: true}
	ErrInternal           = &Error{Code: CodeInternal, Message: "internal error"}
	ErrTaskCancelled      = &Error{Code: CodeTaskCancelled, Message: "task cancelled"}
	ErrTaskTimeout        = &Error{Code: CodeTaskTimeout, Message: "task timed out", Retryable: true}
	ErrTaskExecution      = &Error{Code: CodeTaskExecutionFailed, Message: "task execution failed", Retryable: true}
	ErrNetwork            = &Error{Code: CodeNetwork, Message: "network error", Retryable: true}
	ErrQuotaExceeded      = &Error{Code: CodeQuotaExceeded, Message: "quota exceeded"}
	ErrDuplicate          = &Error{Code: CodeConflict, Message: "task with this id or idempotency key exists", kind: kindDuplicate}
	ErrShutdown           = errors.New("taskq: worker shutting down")
	ErrLeaseLost          = errors.New("taskq: lease lost")
	defaultRetryableCodes = map[ErrorCode]bool{
		CodeRateLimitExceeded: true, CodeServiceUnavailable: true, CodeInternal: true,
		CodeNetwork: true, CodeTaskExecutionFailed: true, CodeTaskTimeout: true,
	}
)

// NewError returns an *Error with the code's default retryability.
func NewError(code ErrorCode, message string) *Error {
	return &Error{Code: code, Message: message, Retryable: defaultRetryableCodes[code]}
}

// Errorf is NewError with a format; a %w verb sets the cause.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Retryable: defaultRetryableCodes[code], Err: errors.Unwrap(err)}
}

// WrapError wraps cause with a code and message.
func WrapError(code ErrorCode, message string, cause error) *Error {
	return &Error{Code: code, Message: message, Retryable: defaultRetryableCodes[code], Err: cause}
}

// Permanent marks err as not retryable: a handler returning it sends the task
// straight to the dead letter queue. The code (and errors.Is identity) is
// kept when err is or wraps an *Error, task_execution_failed otherwise.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	var te *Error
	if errors.As(err, &te) {
		c := *te
		c.Retryable, c.RetryAfter = false, 0
		if err != error(te) {
			c.Message, c.Err = "", err
		}
		return &c
	}
	return &Error{Code: CodeTaskExecutionFailed, Err: err}
}

// RetryAfter marks err as retryable after at least d. The code is kept when
// err is or wraps an *Error, task_execution_failed otherwise; nil stands for
// a plain execution failure.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		err = ErrTaskExecution
	}
	var te *Error
	if errors.As(err, &te) {
		c := *te
		c.Retryable, c.RetryAfter = true, d
		if err != error(te) {
			c.Message, c.Err = "", err
		}
		return &c
	}
	return &Error{Code: CodeTaskExecutionFailed, Retryable: true, RetryAfter: d, Err: err}
}

// AsError converts any error to an *Error: an *Error in the chain is
// returned as is; context deadlines become task_timeout, cancellations
// task_cancelled, anything else task_execution_failed (retryable).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var te *Error
	if errors.As(err, &te) {
		return te
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: CodeTaskTimeout, Message: "task timed out", Retryable: true, Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Code: CodeTaskCancelled, Message: "task cancelled", Err: err}
	}
	return &Error{Code: CodeTaskExecutionFailed, Retryable: true, Err: err}
}

// CodeOf returns the code of err's *Error, or internal_error.
func CodeOf(err error) ErrorCode {
	var te *Error
	if errors.As(err, &te) {
		return te.Code
	}
	return CodeInternal
}

// TaskError is the error stored on a task: {"code","message","retryable"}.
type TaskError struct {
	// Code classifies the failure.
	Code ErrorCode `json:"code"`
	// Message describes the failure.
	Message string `json:"message"`
	// Retryable tells whether the engine would retry it.
	Retryable bool `json:"retryable"`
}

// TaskErrorFrom converts err to the stored form.
func TaskErrorFrom(err error) *TaskError {
	if err == nil {
		return nil
	}
	e := AsError(err)
	return &TaskError{Code: e.Code, Message: e.text(), Retryable: e.Retryable}
}

// Error implements error.
func (e *TaskError) Error() string { return string(e.Code) + ": " + e.Message }

// snoozeError asks for a later run without counting the attempt.
type snoozeError struct{ d time.Duration }

func (e *snoozeError) Error() string { return "taskq: snoozed for " + e.d.String() }

// Snooze, returned by a handler, puts the task back to run again after d
// without counting the attempt or using a retry.
func Snooze(d time.Duration) error { return &snoozeError{d: max(d, 0)} }

// SnoozeDuration reports whether err is (or wraps) a Snooze, and its delay.
func SnoozeDuration(err error) (time.Duration, bool) {
	var s *snoozeError
	if errors.As(err, &s) {
		return s.d, true
	}
	return 0, false
}
