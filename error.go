package taskq

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrorCode names a class of error. The values are the seed's eleven codes
// plus forbidden and conflict used by the HTTP API.
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
)

// ErrorCodes lists every code.
var ErrorCodes = []ErrorCode{
	CodeUnauthorized, CodeInvalidInput, CodeNotFound, CodeRateLimitExceeded,
	CodeServiceUnavailable, CodeInternal, CodeNetwork, CodeValidation,
	CodeTaskExecutionFailed, CodeTaskTimeout, CodeTaskCancelled, CodeForbidden, CodeConflict,
}

// Valid reports whether c is a known code.
func (c ErrorCode) Valid() bool {
	for _, k := range ErrorCodes {
		if c == k {
			return true
		}
	}
	return false
}

// Error is the error type of taskq. Errors compare with errors.Is by code:
// errors.Is(err, ErrNotFound) holds for any *Error with CodeNotFound in the
// chain.
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
}

// FieldError names one invalid input field.
type FieldError struct {
	// Field is the JSON name of the field.
	Field string `json:"field"`
	// Message says what is wrong with it.
	Message string `json:"message"`
}

// Error implements error.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = string(e.Code)
	} else {
		msg = string(e.Code) + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
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
	ErrDuplicate          = &Error{Code: CodeConflict, Message: "task with this id or idempotency key exists"}
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
// straight to the dead letter queue. The code is kept when err is an *Error,
// task_execution_failed otherwise.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	var te *Error
	if errors.As(err, &te) {
		c := *te
		c.Retryable = false
		c.Err = err
		if c.Err == te {
			c.Err = te.Err
		}
		return &c
	}
	return &Error{Code: CodeTaskExecutionFailed, Message: err.Error(), Err: err}
}

// RetryAfter marks err as retryable after at least d.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		err = ErrTaskExecution
	}
	var te *Error
	code := CodeTaskExecutionFailed
	if errors.As(err, &te) {
		code = te.Code
	}
	return &Error{Code: code, Message: err.Error(), Retryable: true, RetryAfter: d, Err: err}
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
	return &Error{Code: CodeTaskExecutionFailed, Message: err.Error(), Retryable: true, Err: err}
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
	msg := e.Message
	if msg == "" {
		msg = string(e.Code)
	}
	return &TaskError{Code: e.Code, Message: msg, Retryable: e.Retryable}
}

// Error implements error.
func (e *TaskError) Error() string { return string(e.Code) + ": " + e.Message }

// ErrorRecoveryStrategy tells the engine and its callers how to recover from
// an error, as in the seed specification.
type ErrorRecoveryStrategy struct {
	// Retryable tells whether the failed operation may be retried.
	Retryable bool
	// RequiresUserInput tells whether a person must change something first.
	RequiresUserInput bool
	// AlternativeAction suggests what to do instead, if anything.
	AlternativeAction string
	// Cleanup, when set, releases resources held by the failed operation.
	Cleanup func(ctx context.Context) error
}

// RecoveryStrategy returns the default strategy for err: retryability from
// the error (or its code), user input for validation and auth errors.
func RecoveryStrategy(err error) ErrorRecoveryStrategy {
	e := AsError(err)
	if e == nil {
		return ErrorRecoveryStrategy{}
	}
	s := ErrorRecoveryStrategy{Retryable: e.Retryable}
	switch e.Code {
	case CodeUnauthorized, CodeForbidden:
		s.RequiresUserInput, s.AlternativeAction = true, "check credentials and role"
	case CodeInvalidInput, CodeValidation:
		s.RequiresUserInput, s.AlternativeAction = true, "correct the input and resubmit"
	case CodeRateLimitExceeded:
		s.AlternativeAction = "wait for Retry-After"
	case CodeServiceUnavailable, CodeNetwork:
		s.AlternativeAction = "retry with backoff"
	case CodeNotFound:
		s.AlternativeAction = "check the id"
	}
	return s
}

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
