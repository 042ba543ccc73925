package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/taskq/taskq"
)

// errorBody is the body of every non-2xx response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      taskq.ErrorCode    `json:"code"`
	Message   string             `json:"message"`
	RequestID string             `json:"request_id"`
	Details   []taskq.FieldError `json:"details,omitempty"`
}

// statusError gives an error an HTTP status other than its code's (413
// for a body too large, which keeps code invalid_input).
type statusError struct {
	status int
	err    *taskq.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// Generic messages of the errors whose cause is never shown.
const (
	msgInternal    = "internal error; the request id identifies it in the server log"
	msgUnavailable = "a backend is temporarily unavailable; retry later"
)

// defaultRetryAfter is the Retry-After of a 503 without a better hint.
const defaultRetryAfter = 5 * time.Second

// quotaRetryAfter is the Retry-After of a 429 quota_exceeded: tasks
// finishing free a pending quota, not a clock.
const quotaRetryAfter = 30 * time.Second

// statusOf maps an error code to its HTTP status.
func statusOf(code taskq.ErrorCode) int {
	switch code {
	case taskq.CodeInvalidInput:
		return http.StatusBadRequest
	case taskq.CodeValidation:
		return http.StatusUnprocessableEntity
	case taskq.CodeUnauthorized:
		return http.StatusUnauthorized
	case taskq.CodeForbidden:
		return http.StatusForbidden
	case taskq.CodeNotFound:
		return http.StatusNotFound
	case taskq.CodeConflict:
		return http.StatusConflict
	case taskq.CodeRateLimitExceeded, taskq.CodeQuotaExceeded:
		return http.StatusTooManyRequests
	case taskq.CodeServiceUnavailable, taskq.CodeNetwork:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers err in the error shape of docs/api.md. Client errors keep
// the library's sanitized message and details; 500 and 503 get a generic
// message, and their cause is logged with the request id only.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := 0
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
	}
	var te *taskq.Error
	if !errors.As(err, &te) {
		te = &taskq.Error{Code: taskq.CodeInternal}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			te.Code = taskq.CodeServiceUnavailable
		}
	}
	if status == 0 {
		status = statusOf(te.Code)
	}
	d := errorDetail{Code: te.Code, Message: te.Message, RequestID: requestID(r.Context()), Details: te.Details}
	switch {
	case status == http.StatusServiceUnavailable:
		d.Code, d.Message, d.Details = taskq.CodeServiceUnavailable, msgUnavailable, nil
		ra := te.RetryAfter
		if ra <= 0 {
			ra = defaultRetryAfter
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
		level := slog.LevelWarn
		if r.Context().Err() != nil {
			level = slog.LevelDebug // the client went away
		}
		s.log.Log(r.Context(), level, "backend unavailable", "request_id", d.RequestID, "error", err)
	case status >= 500:
		d.Code, d.Message, d.Details = taskq.CodeInternal, msgInternal, nil
		s.log.ErrorContext(r.Context(), "internal error", "request_id", d.RequestID, "error", err)
	default:
		if d.Message == "" || len(d.Message) > 1000 || !taskq.ValidText(d.Message) {
			d.Message = http.StatusText(status)
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	if te.Code == taskq.CodeQuotaExceeded && status == http.StatusTooManyRequests {
		ra := te.RetryAfter
		if ra <= 0 {
			ra = quotaRetryAfter
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
	}
	s.writeJSON(w, r, status, errorBody{Error: d})
}

// writeJSON writes v as the JSON body with status. A value that cannot be
// encoded (a stored time past year 9999, say) is never half-written: the
// answer is 500 in the error shape, and the failure is logged at ERROR
// with the request id.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := encodeBody(v)
	if err != nil {
		id := requestID(r.Context())
		s.log.ErrorContext(r.Context(), "response encoding failed", "request_id", id, "path", r.URL.Path, "error", err)
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Error: errorDetail{Code: taskq.CodeInternal, Message: msgInternal, RequestID: id}})
	}
	writeRaw(w, status, b)
}

// encodeBody encodes v as json.Marshal does. A task is encoded by its own
// MarshalJSON, whose output (json.Marshal's, compact and HTML-escaped) is
// what json.Marshal would return after checking and compacting it again.
func encodeBody(v any) ([]byte, error) {
	if t, ok := v.(*taskq.Task); ok && t != nil {
		return t.MarshalJSON()
	}
	return json.Marshal(v)
}

// writeRaw writes an encoded JSON body with status.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// apiError builds a client error with an optional detail.
func apiError(code taskq.ErrorCode, msg string, details ...taskq.FieldError) *taskq.Error {
	return &taskq.Error{Code: code, Message: msg, Details: details}
}

// validationError builds a 422 listing details; its message is the first.
func validationError(details []taskq.FieldError) *taskq.Error {
	return &taskq.Error{Code: taskq.CodeValidation, Message: details[0].Field + " " + details[0].Message, Details: details}
}
