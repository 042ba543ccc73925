package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
)

// typeNames returns the registered task types, sorted.
func (s *Server) typeNames() []string {
	out := make([]string, 0, len(s.types))
	for n := range s.types {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

var errTaskNotFound = apiError(taskq.CodeNotFound, "task not found")

// idempotencyKey reads the Idempotency-Key header: absent, or one value
// of 1 to 255 printable characters.
func idempotencyKey(r *http.Request) (string, error) {
	vs := r.Header.Values("Idempotency-Key")
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1:
		return "", apiError(taskq.CodeInvalidInput, "send one Idempotency-Key header")
	}
	k := vs[0]
	if k == "" || len(k) > 255 || !taskq.ValidText(k) {
		return "", apiError(taskq.CodeInvalidInput, "Idempotency-Key must be 1-255 printable characters")
	}
	return k, nil
}

// createTask serves POST /api/tasks.
func (s *Server) createTask(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	req, err := decodeCreateTask(r.Body)
	if err != nil {
		return err
	}
	t, spec, err := s.newTask(req, p, key)
	if err != nil {
		return err
	}
	if err := checkStorable(t); err != nil {
		return err
	}
	if err := s.checkQuota(r.Context(), t, r.ContentLength); err != nil {
		return err
	}
	stored, err := s.client.EnqueueTask(r.Context(), t)
	switch {
	case err == nil:
	case errors.Is(err, taskq.ErrUniqueExists) && stored != nil && p.CanAccessTask(stored.Owner):
		// A unique task (the owner is part of its key) that exists: the
		// request is served by it, as an Idempotency-Key replay is.
		s.metrics.UniqueConflict()
		w.Header().Set("Location", "/api/tasks/"+url.PathEscape(stored.ID))
		s.writeJSON(w, r, http.StatusOK, stored)
		return nil
	case errors.Is(err, taskq.ErrDuplicate) && stored != nil:
		if key == "" || !p.CanAccessTask(stored.Owner) {
			return apiError(taskq.CodeConflict, "a task with this id exists")
		}
		if !sameRequest(stored, t, spec.runAtSet) {
			return apiError(taskq.CodeConflict, "Idempotency-Key was already used with a different request")
		}
		w.Header().Set("Location", "/api/tasks/"+url.PathEscape(stored.ID))
		s.writeJSON(w, r, http.StatusOK, stored)
		return nil
	case stored != nil:
		// Stored but not queued: the worker's reconciler pushes it, so the
		// task exists and will run.
		s.log.WarnContext(r.Context(), "task stored but not queued yet", "task_id", stored.ID, "request_id", requestID(r.Context()), "error", err)
	default:
		return err
	}
	w.Header().Set("Location", "/api/tasks/"+url.PathEscape(stored.ID))
	s.writeJSON(w, r, http.StatusCreated, stored)
	return nil
}

// listTasks serves GET /api/tasks: users see their own tasks only (and
// may not name another owner).
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return badQuery("malformed query string")
	}
	f, err := parseTaskListQuery(q)
	if err != nil {
		return err
	}
	if !p.CanAdmin() {
		if f.Owner != "" && f.Owner != p.ID {
			return apiError(taskq.CodeForbidden, "filtering by another owner needs the admin role")
		}
		f.Owner = p.ID
	}
	return s.writePage(w, r, func(ctx context.Context, cursor string, limit int) (taskq.TaskPage, error) {
		g := f
		g.Cursor, g.Limit = cursor, limit
		return s.client.List(ctx, g)
	}, f.Cursor, f.Limit)
}

// ownTask returns the task id if p may see it, else errTaskNotFound:
// another user's task is not found, never forbidden.
func (s *Server) ownTask(r *http.Request, p auth.Principal) (*taskq.Task, error) {
	t, err := s.client.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, taskq.ErrNotFound) {
		return nil, errTaskNotFound
	}
	if err != nil {
		return nil, err
	}
	if !p.CanAccessTask(t.Owner) {
		return nil, errTaskNotFound
	}
	return t, nil
}

// getTask serves GET /api/tasks/{id}.
func (s *Server) getTask(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	t, err := s.ownTask(r, p)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, t)
	return nil
}

// cancelTask serves DELETE /api/tasks/{id}: a running task's handler sees
// its context cancelled at its worker's next heartbeat.
func (s *Server) cancelTask(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if _, err := s.ownTask(r, p); err != nil {
		return err
	}
	t, err := s.client.Cancel(r.Context(), r.PathValue("id"))
	if errors.Is(err, taskq.ErrNotFound) {
		return errTaskNotFound
	}
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, t)
	return nil
}
