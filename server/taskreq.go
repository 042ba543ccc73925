package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
)

// maxTimeout bounds timeout_ms (one day).
const maxTimeout = 24 * time.Hour

// createTaskRequest is the body of POST /api/tasks.
type createTaskRequest struct {
	Type        string          `json:"type"`
	Description *string         `json:"description"`
	Priority    json.RawMessage `json:"priority"`
	MaxRetries  *int            `json:"max_retries"`
	Deadline    *string         `json:"deadline"`
	RunAt       *string         `json:"run_at"`
	TimeoutMS   *int64          `json:"timeout_ms"`
	Metadata    json.RawMessage `json:"metadata"`
	Queue       *string         `json:"queue"`
	Unique      *uniqueRequest  `json:"unique"`
}

// decodeCreateTask decodes the body of POST /api/tasks strictly (see
// decodeJSON).
func decodeCreateTask(body io.Reader) (createTaskRequest, error) {
	var req createTaskRequest
	err := decodeJSON(body, &req, false)
	return req, err
}

// taskSpec is a checked create request: the options for Client.NewTask.
type taskSpec struct {
	typ      string
	metadata map[string]any
	opts     []taskq.EnqueueOption
	runAtSet bool
}

// parseCreateTask checks a decoded request against the registered types
// and the served queues, and returns the task options; every problem is
// one detail of a validation error.
func (s *Server) parseCreateTask(req createTaskRequest) (taskSpec, []taskq.FieldError) {
	var d []taskq.FieldError
	add := func(f, m string) { d = append(d, taskq.FieldError{Field: f, Message: m}) }
	spec := taskSpec{typ: req.Type}
	typ, known := s.types[req.Type]
	switch {
	case req.Type == "":
		add("type", "is required")
	case !known:
		add("type", fmt.Sprintf("must be a registered task type (%s)", strings.Join(s.typeNames(), ", ")))
	}
	if req.Description != nil {
		spec.opts = append(spec.opts, taskq.WithDescription(*req.Description))
	}
	if p := bytes.TrimSpace(req.Priority); len(p) > 0 && string(p) != "null" {
		var pr taskq.TaskPriority
		if err := pr.UnmarshalJSON(p); err != nil || !pr.Valid() {
			add("priority", "must be between 0 and 3 or one of low, medium, high, critical")
		} else {
			spec.opts = append(spec.opts, taskq.WithPriority(pr))
		}
	}
	if req.MaxRetries != nil {
		spec.opts = append(spec.opts, taskq.WithMaxRetries(*req.MaxRetries))
	}
	var deadline, runAt time.Time
	if req.Deadline != nil {
		t, err := time.Parse(time.RFC3339Nano, *req.Deadline)
		if err != nil {
			add("deadline", "must be an RFC 3339 time such as 2030-01-02T15:04:05Z")
		} else {
			deadline = t
			spec.opts = append(spec.opts, taskq.WithDeadline(t))
		}
	}
	if req.RunAt != nil {
		t, err := time.Parse(time.RFC3339Nano, *req.RunAt)
		if err != nil {
			add("run_at", "must be an RFC 3339 time such as 2030-01-02T15:04:05Z")
		} else {
			runAt, spec.runAtSet = t, true
			spec.opts = append(spec.opts, taskq.WithRunAt(t))
		}
	}
	if !deadline.IsZero() && !runAt.IsZero() && !runAt.Before(deadline) {
		add("run_at", "must be before the deadline")
	}
	if req.TimeoutMS != nil {
		ms := *req.TimeoutMS
		if ms < 0 || ms > maxTimeout.Milliseconds() {
			add("timeout_ms", fmt.Sprintf("must be between 0 and %d", maxTimeout.Milliseconds()))
		} else {
			spec.opts = append(spec.opts, taskq.WithTimeout(time.Duration(ms)*time.Millisecond))
		}
	}
	if req.Queue != nil {
		if !s.queues[*req.Queue] {
			add("queue", fmt.Sprintf("must be a served queue (%s)", strings.Join(s.cfg.Queues, ", ")))
		} else {
			spec.opts = append(spec.opts, taskq.WithQueue(*req.Queue))
		}
	}
	if m := bytes.TrimSpace(req.Metadata); len(m) > 0 && string(m) != "null" {
		if m[0] != '{' {
			add("metadata", "must be a JSON object")
		} else if md, err := taskq.DecodeMetadata(m); err != nil {
			add("metadata", "must be a JSON object")
		} else {
			spec.metadata = md
		}
	}
	if req.Unique != nil {
		opt, ud := uniqueOption(req.Unique)
		d = append(d, ud...)
		spec.opts = append(spec.opts, opt)
	}
	if known && typ.Validate != nil {
		md := spec.metadata
		if md == nil {
			md = map[string]any{}
		}
		d = append(d, typ.Validate(md)...)
	}
	return spec, d
}

// newTask builds the task of a checked request for principal p, merging
// the library's validation problems with the server's.
func (s *Server) newTask(req createTaskRequest, p auth.Principal, idemKey string) (*taskq.Task, taskSpec, error) {
	spec, details := s.parseCreateTask(req)
	opts := append(spec.opts, taskq.WithOwner(p.ID))
	if idemKey != "" {
		opts = append(opts, taskq.WithIdempotencyKey(idemKey))
	}
	t, err := s.client.NewTask(spec.typ, spec.metadata, opts...)
	if err != nil {
		te := taskq.AsError(err)
		if te.Code != taskq.CodeValidation {
			return nil, spec, err
		}
		seen := map[string]bool{}
		for _, f := range details {
			seen[f.Field] = true
		}
		for _, f := range te.Details {
			if !seen[f.Field] {
				details = append(details, f)
			}
		}
		if len(details) == 0 {
			details = []taskq.FieldError{{Field: "task", Message: te.Message}}
		}
	}
	if len(details) > 0 {
		return nil, spec, validationError(details)
	}
	return t, spec, nil
}

// sameRequest reports whether the stored task existing was created from a
// request equal to the one that built t (same key, so a replay): every
// field the request sets is compared. run_at is compared while the task
// has not run (afterwards the engine moves it).
func sameRequest(existing, t *taskq.Task, runAtSet bool) bool {
	if existing.Type != t.Type || existing.Description != t.Description || existing.Priority != t.Priority ||
		existing.MaxRetries != t.MaxRetries || existing.Queue != t.Queue || existing.Timeout != t.Timeout ||
		!sameTimePtr(existing.Deadline, t.Deadline) || !sameJSON(existing.Metadata, t.Metadata) {
		return false
	}
	if existing.Attempts == 0 && existing.DLQRetryCount == 0 && existing.Status == taskq.StatusPending {
		want := existing.Created // a request without run_at runs at creation
		if runAtSet {
			want = t.RunAt
		}
		return sameTime(existing.RunAt, want)
	}
	return true
}

// sameTime compares at the microsecond precision every storage keeps.
func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

func sameTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return sameTime(*a, *b)
}

// sameJSON compares two metadata maps as JSON values (so 1 and 1.0, or a
// missing and an empty object, are equal).
func sameJSON(a, b map[string]any) bool {
	norm := func(m map[string]any) any {
		if len(m) == 0 {
			return map[string]any{}
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return nil
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return nil
		}
		return v
	}
	na, nb := norm(a), norm(b)
	return na != nil && reflect.DeepEqual(na, nb)
}
