package server

import (
	"net/http"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/dlq"
	"github.com/taskq/taskq/internal/timerange"
)

// bulkRetryRequest is the body of POST /api/dlq/retry; every field is
// optional.
type bulkRetryRequest struct {
	Type      *string `json:"type"`
	ErrorCode *string `json:"error_code"`
	Since     *string `json:"since"`
	Until     *string `json:"until"`
	Limit     *int    `json:"limit"`
}

// bulkRetryResponse is the body of a POST /api/dlq/retry answer.
type bulkRetryResponse struct {
	RetriedCount int                `json:"retried_count"`
	FailedCount  int                `json:"failed_count"`
	Retried      []string           `json:"retried"`
	Failed       []dlq.RetryFailure `json:"failed"`
	More         bool               `json:"more"`
}

// parseBulkRetry turns the request into a filter, naming every bad field.
func parseBulkRetry(req bulkRetryRequest) (dlq.RetryFilter, error) {
	var f dlq.RetryFilter
	var bad []taskq.FieldError
	if req.Type != nil {
		if _, err := parseType(*req.Type); err != nil || *req.Type == "" {
			bad = append(bad, taskq.FieldError{Field: "type", Message: "must be a task type name"})
		}
		f.Type = *req.Type
	}
	if req.ErrorCode != nil {
		f.ErrorCode = taskq.ErrorCode(*req.ErrorCode)
		if !f.ErrorCode.Valid() {
			bad = append(bad, taskq.FieldError{Field: "error_code", Message: "must be an error code"})
		}
	}
	for _, tf := range []struct {
		name string
		v    *string
		to   *time.Time
	}{{"since", req.Since, &f.Since}, {"until", req.Until, &f.Until}} {
		if tf.v == nil {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, *tf.v)
		switch {
		case err != nil:
			bad = append(bad, taskq.FieldError{Field: tf.name, Message: "must be an RFC 3339 time"})
		case !timerange.Valid(at):
			bad = append(bad, taskq.FieldError{Field: tf.name, Message: timerange.Message})
		default:
			*tf.to = at
		}
	}
	if req.Limit != nil {
		if *req.Limit < 1 || *req.Limit > dlq.MaxRetryLimit {
			bad = append(bad, taskq.FieldError{Field: "limit", Message: "must be between 1 and 1000"})
		}
		f.Limit = *req.Limit
	}
	if len(bad) == 0 && !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		bad = append(bad, taskq.FieldError{Field: "since", Message: "must be before until"})
	}
	if len(bad) > 0 {
		return f, validationError(bad)
	}
	return f, nil
}

// retryDLQBulk serves POST /api/dlq/retry: the matching entries are
// retried one by one under the single retry's rules, oldest first.
func (s *Server) retryDLQBulk(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req bulkRetryRequest
	if err := decodeJSON(r.Body, &req, true); err != nil {
		return err
	}
	f, err := parseBulkRetry(req)
	if err != nil {
		return err
	}
	res, err := dlq.RetryMatching(r.Context(), s.dlq, f)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, bulkRetryResponse{RetriedCount: len(res.Retried), FailedCount: len(res.Failed),
		Retried: res.Retried, Failed: res.Failed, More: res.More})
	return nil
}
