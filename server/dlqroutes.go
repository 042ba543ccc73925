package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/timerange"
)

var errDLQNotFound = apiError(taskq.CodeNotFound, "task not in the dead letter queue")

// listDLQ serves GET /api/dlq, oldest entry first.
func (s *Server) listDLQ(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return badQuery("malformed query string")
	}
	f, err := parseDLQListQuery(q)
	if err != nil {
		return err
	}
	return s.writePage(w, r, func(ctx context.Context, cursor string, limit int) (taskq.TaskPage, error) {
		g := f
		g.Cursor, g.Limit = cursor, limit
		return s.dlq.List(ctx, g)
	}, f.Cursor, f.Limit)
}

// retryDLQ serves POST /api/dlq/{id}/retry.
func (s *Server) retryDLQ(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	t, err := s.dlq.Retry(r.Context(), r.PathValue("id"))
	if errors.Is(err, taskq.ErrNotFound) {
		return errDLQNotFound
	}
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, t)
	return nil
}

// deleteDLQ serves DELETE /api/dlq/{id}: the task is purged.
func (s *Server) deleteDLQ(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	err := s.dlq.Remove(r.Context(), r.PathValue("id"))
	if errors.Is(err, taskq.ErrNotFound) {
		return errDLQNotFound
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// cleanupRequest is the optional body of POST /api/dlq/cleanup.
type cleanupRequest struct {
	OlderThan *string `json:"older_than"`
}

// cleanupDLQ serves POST /api/dlq/cleanup.
func (s *Server) cleanupDLQ(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req cleanupRequest
	if err := decodeJSON(r.Body, &req, true); err != nil {
		return err
	}
	var olderThan time.Time
	if req.OlderThan != nil {
		t, err := time.Parse(time.RFC3339Nano, *req.OlderThan)
		if err != nil {
			return validationError([]taskq.FieldError{{Field: "older_than", Message: "must be an RFC 3339 time"}})
		}
		if !timerange.Valid(t) {
			return validationError([]taskq.FieldError{{Field: "older_than", Message: timerange.Message}})
		}
		olderThan = t
	}
	res, err := s.dlq.Cleanup(r.Context(), olderThan)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, res)
	return nil
}
