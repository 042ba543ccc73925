package taskq

import (
	"encoding/json"
	"maps"
	"slices"
	"time"
)

// DefaultQueue is the queue name used when none is given.
const DefaultQueue = "default"

// Task is one unit of background work. Its JSON form is the task object of
// the HTTP API (docs/api.md).
type Task struct {
	// ID is a time-ordered UUIDv7, assigned by the Client.
	ID string `json:"id"`
	// Type selects the handler.
	Type string `json:"type"`
	// Status is the lifecycle state.
	Status TaskStatus `json:"status"`
	// Priority orders ready tasks; higher first.
	Priority TaskPriority `json:"priority"`
	// Description is free text for people.
	Description string `json:"description"`
	// Created is when the record was created.
	Created time.Time `json:"created"`
	// Updated is when the record last changed.
	Updated time.Time `json:"updated"`
	// CompletedAt is set when the task reaches a terminal state.
	CompletedAt *time.Time `json:"completed_at"`
	// Deadline is absolute: past it the task is not started again.
	Deadline *time.Time `json:"deadline"`
	// RetryCount is the number of retries made so far (attempts - 1 for a
	// failing task).
	RetryCount int `json:"retry_count"`
	// MaxRetries is how many retries a failing task gets.
	MaxRetries int `json:"max_retries"`
	// Error is the last failure, if any.
	Error *TaskError `json:"error,omitempty"`
	// Result is the handler's JSON result.
	Result json.RawMessage `json:"result,omitempty"`
	// Metadata is the task's input, a JSON object.
	Metadata map[string]any `json:"metadata"`

	// Queue is the queue the task is dispatched on.
	Queue string `json:"queue"`
	// RunAt is when the task becomes ready (now for immediate tasks; the
	// retry time while failed).
	RunAt time.Time `json:"run_at"`
	// StartedAt is when the current or last attempt started.
	StartedAt *time.Time `json:"started_at,omitempty"`
	// Timeout bounds one attempt; zero means the worker's default. It is
	// encoded as timeout_ms.
	Timeout time.Duration `json:"-"`
	// Attempts counts started attempts.
	Attempts int `json:"attempts"`
	// DLQRetryCount counts retries out of the dead letter queue.
	DLQRetryCount int `json:"dlq_retry_count"`
	// DeadLetteredAt is when the task entered the dead letter queue.
	DeadLetteredAt *time.Time `json:"dead_lettered_at,omitempty"`
	// Owner is the principal that created the task.
	Owner string `json:"owner,omitempty"`
	// IdempotencyKey deduplicates creation per owner.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Progress is what the handler last reported (ReportProgress), nil
	// until it reports. Storages set it only through
	// ProgressWriter.SetProgress: creating or updating a task leaves it
	// alone.
	Progress *Progress `json:"progress,omitempty"`
	// UniqueKey, when set, makes the creation unique (see UniqueOpts): a
	// digest of the task's unique dimensions, computed by the Client. It
	// is read by CreateTask and CreateTasks, which keep it in the
	// storage's uniqueness index; records read back do not carry it.
	UniqueKey string `json:"-"`
	// UniqueStates are the statuses in which the task holds UniqueKey.
	UniqueStates []TaskStatus `json:"-"`
	// TraceContext carries the trace of the enqueue (W3C traceparent and
	// tracestate, or whatever the propagator writes), stored with the task
	// so that its attempts continue the trace in any process. It is set
	// by a Client with a Tracer and is not part of the HTTP API.
	TraceContext map[string]string `json:"-"`
}

type taskJSON Task

type taskWire struct {
	taskJSON
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
}

// MarshalJSON encodes the task with timeout_ms in milliseconds.
func (t Task) MarshalJSON() ([]byte, error) {
	return t.appendJSON(make([]byte, 0, 512))
}

// UnmarshalJSON decodes the form written by MarshalJSON.
func (t *Task) UnmarshalJSON(b []byte) error {
	var w taskWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = Task(w.taskJSON)
	t.Timeout = time.Duration(w.TimeoutMS) * time.Millisecond
	return nil
}

// Clone returns a copy that shares nothing mutable with t: metadata is
// copied deeply through nested maps (map[string]any) and slices ([]any),
// the forms JSON decoding produces; values of other types are shared.
func (t *Task) Clone() *Task {
	if t == nil {
		return nil
	}
	c := *t
	if t.Metadata != nil {
		c.Metadata = cloneMap(t.Metadata)
	}
	if t.Result != nil {
		c.Result = append(json.RawMessage(nil), t.Result...)
	}
	if t.Error != nil {
		e := *t.Error
		c.Error = &e
	}
	if t.TraceContext != nil {
		c.TraceContext = maps.Clone(t.TraceContext)
	}
	if t.Progress != nil {
		p := *t.Progress
		c.Progress = &p
	}
	if t.UniqueStates != nil {
		c.UniqueStates = slices.Clone(t.UniqueStates)
	}
	c.CompletedAt = cloneTime(t.CompletedAt)
	c.Deadline = cloneTime(t.Deadline)
	c.StartedAt = cloneTime(t.StartedAt)
	c.DeadLetteredAt = cloneTime(t.DeadLetteredAt)
	return &c
}

// cloneMap copies m and, recursively, the maps and slices of JSON values
// (map[string]any, []any) in it; other values are shared.
func cloneMap(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = cloneValue(v)
	}
	return c
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return v
		}
		return cloneMap(v)
	case []any:
		if v == nil {
			return v
		}
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = cloneValue(e)
		}
		return c
	}
	return v
}

func cloneTime(p *time.Time) *time.Time {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
