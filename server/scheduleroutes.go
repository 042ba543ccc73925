package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/names"
	"github.com/taskq/taskq/periodic"
)

// scheduleCreateRequest is the body of POST /api/schedules.
type scheduleCreateRequest struct {
	Name     string          `json:"name"`
	Spec     string          `json:"spec"`
	TimeZone string          `json:"timezone"`
	Type     string          `json:"type"`
	Metadata json.RawMessage `json:"metadata"`
	Queue    *string         `json:"queue"`
	Priority json.RawMessage `json:"priority"`
	Missed   string          `json:"missed"`
}

// scheduleStore returns the storage's schedule store, or an error for a
// storage without one.
func (s *Server) scheduleStore() (taskq.ScheduleStore, error) {
	ss, ok := s.store.(taskq.ScheduleStore)
	if !ok || s.sched == nil {
		return nil, apiError(taskq.CodeValidation, "this server's storage cannot keep schedules")
	}
	return ss, nil
}

// configuredSchedule reports whether name is a schedule of the settings.
func (s *Server) configuredSchedule(name string) bool {
	return slices.Contains(s.cfg.scheduleNames(), name)
}

// parseSchedule checks a create request: every problem is one detail of a
// validation error, named by its field.
func (s *Server) parseSchedule(req scheduleCreateRequest) (taskq.StoredSchedule, []taskq.FieldError) {
	var d []taskq.FieldError
	add := func(f, m string) { d = append(d, taskq.FieldError{Field: f, Message: m}) }
	st := taskq.StoredSchedule{Name: req.Name, Spec: strings.TrimSpace(req.Spec), TimeZone: req.TimeZone, Type: req.Type,
		Priority: taskq.PriorityMedium, Missed: req.Missed}
	if !names.Valid(req.Name, 128) {
		add("name", "must be 1-128 letters, digits and ._:-/")
	}
	switch {
	case st.Spec == "":
		add("spec", `is required: a cron expression, a descriptor such as @daily, or "@every <duration>"`)
	default:
		if err := (periodic.Schedule{Name: "x", Spec: st.Spec, Type: "x"}).Validate(); err != nil {
			add("spec", strings.TrimPrefix(err.Error(), "periodic: schedule x: "))
		}
	}
	if req.TimeZone != "" {
		if _, err := time.LoadLocation(req.TimeZone); err != nil {
			add("timezone", "must be an IANA time zone such as Europe/Paris")
		}
	}
	switch periodic.MissedPolicy(req.Missed) {
	case "":
		st.Missed = string(periodic.Skip)
	case periodic.Skip, periodic.CatchUpOnce:
	default:
		add("missed", fmt.Sprintf("must be %s or %s", periodic.Skip, periodic.CatchUpOnce))
	}
	typ, known := s.types[req.Type]
	switch {
	case req.Type == "":
		add("type", "is required")
	case !known:
		add("type", fmt.Sprintf("must be a registered task type (%s)", strings.Join(s.typeNames(), ", ")))
	}
	st.Queue = s.cfg.Queues[0]
	if req.Queue != nil {
		if !s.queues[*req.Queue] {
			add("queue", fmt.Sprintf("must be a served queue (%s)", strings.Join(s.cfg.Queues, ", ")))
		}
		st.Queue = *req.Queue
	}
	if p := bytes.TrimSpace(req.Priority); len(p) > 0 && string(p) != "null" {
		if err := st.Priority.UnmarshalJSON(p); err != nil || !st.Priority.Valid() {
			add("priority", "must be between 0 and 3 or one of low, medium, high, critical")
		}
	}
	if m := bytes.TrimSpace(req.Metadata); len(m) > 0 && string(m) != "null" {
		if m[0] != '{' {
			add("metadata", "must be a JSON object")
		} else if md, err := taskq.DecodeMetadata(m); err != nil {
			add("metadata", "must be a JSON object")
		} else {
			st.Metadata = md
		}
	}
	if known && typ.Validate != nil {
		md := st.Metadata
		if md == nil {
			md = map[string]any{}
		}
		d = append(d, typ.Validate(md)...)
	}
	if len(d) == 0 {
		// The library's own checks of the task (sizes, metadata).
		sc := periodic.FromStored(st)
		if _, err := s.client.NewTask(sc.Type, sc.Metadata, sc.Options...); err != nil {
			te := taskq.AsError(err)
			d = append(d, te.Details...)
			if len(te.Details) == 0 {
				add("task", te.Message)
			}
		}
	}
	return st, d
}

// createSchedule serves POST /api/schedules: a stored schedule, run by
// the leader of the replicas from its next tick (this replica reloads at
// once, the others within the reload interval).
func (s *Server) createSchedule(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	ss, err := s.scheduleStore()
	if err != nil {
		return err
	}
	var req scheduleCreateRequest
	if err := decodeJSON(r.Body, &req, false); err != nil {
		return err
	}
	st, details := s.parseSchedule(req)
	if len(details) > 0 {
		return validationError(details)
	}
	if s.configuredSchedule(st.Name) {
		return apiError(taskq.CodeConflict, "schedule "+st.Name+" is defined in the server settings (TASKQ_SCHEDULES); choose another name")
	}
	st.Created = time.Now().UTC().Truncate(time.Microsecond)
	if err := ss.CreateSchedule(r.Context(), st); err != nil {
		if errors.Is(err, taskq.ErrConflict) {
			return apiError(taskq.CodeConflict, "a schedule named "+st.Name+" exists")
		}
		return err
	}
	s.log.InfoContext(r.Context(), "schedule created", "schedule", st.Name, "spec", st.Spec, "request_id", requestID(r.Context()))
	s.reloadSchedules(r)
	s.writeJSON(w, r, http.StatusCreated, st)
	return nil
}

// deleteSchedule serves DELETE /api/schedules/{name}: a stored schedule
// stops (here at once, on the other replicas within the reload interval).
// Schedules of the settings cannot be deleted.
func (s *Server) deleteSchedule(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	name := r.PathValue("name")
	if s.configuredSchedule(name) {
		return apiError(taskq.CodeConflict, "schedule "+name+" is defined in the server settings (TASKQ_SCHEDULES) and cannot be deleted through the API")
	}
	ss, err := s.scheduleStore()
	if err != nil {
		return err
	}
	if err := ss.DeleteSchedule(r.Context(), name); err != nil {
		if errors.Is(err, taskq.ErrNotFound) {
			return apiError(taskq.CodeNotFound, "schedule not found")
		}
		return err
	}
	s.log.InfoContext(r.Context(), "schedule deleted", "schedule", name, "request_id", requestID(r.Context()))
	s.reloadSchedules(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// reloadSchedules makes this replica's scheduler read the stored
// schedules now; a failure only delays the change to the next reload.
func (s *Server) reloadSchedules(r *http.Request) {
	if err := s.sched.sched.Reload(r.Context()); err != nil {
		s.log.WarnContext(r.Context(), "cannot reload the stored schedules", "error", err, "request_id", requestID(r.Context()))
	}
}
