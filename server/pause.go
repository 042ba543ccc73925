package server

import (
	"net/http"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
)

var errNoQueue = apiError(taskq.CodeNotFound, "no such queue")

// pauseQueue serves POST /api/queues/{name}/pause: the queue keeps
// accepting tasks, workers lease none of them until it is resumed.
func (s *Server) pauseQueue(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.setPaused(w, r, p, true)
}

// resumeQueue serves POST /api/queues/{name}/resume.
func (s *Server) resumeQueue(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.setPaused(w, r, p, false)
}

// setPaused pauses or resumes a configured queue (both idempotent) and
// answers the queue as GET /api/queues lists it.
func (s *Server) setPaused(w http.ResponseWriter, r *http.Request, p auth.Principal, pause bool) error {
	if err := noQuery(r); err != nil {
		return err
	}
	name := r.PathValue("name")
	if !s.queues[name] {
		return errNoQueue
	}
	op, msg := s.client.ResumeQueue, "queue resumed"
	if pause {
		op, msg = s.client.PauseQueue, "queue paused"
	}
	if err := op(r.Context(), name); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), msg, "queue", name, "principal", p.ID, "request_id", requestID(r.Context()))
	qi, err := s.queueInfo(r, name, pause)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, qi)
	return nil
}
