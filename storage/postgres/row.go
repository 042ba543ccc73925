package postgres

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/taskq/taskq"
)

// taskColumns is the column list of every task read, in scanTask order.
const taskColumns = `id, type, status, priority, description, created, updated, completed_at,
	deadline, retry_count, max_retries, error, result, metadata, queue, run_at, started_at,
	timeout_ms, attempts, dlq_retry_count, dead_lettered_at, owner, idempotency_key, trace_context`

// readColumns is the column list of every task read, in scanTask order:
// taskColumns and the progress, which only SetProgress writes.
const readColumns = taskColumns + `, progress`

// readColumnCount is the number of readColumns.
var readColumnCount = strings.Count(readColumns, ",") + 1

// insertColumns is taskColumns as a slice, for COPY.
var insertColumns = []string{
	"id", "type", "status", "priority", "description", "created", "updated", "completed_at",
	"deadline", "retry_count", "max_retries", "error", "result", "metadata", "queue", "run_at", "started_at",
	"timeout_ms", "attempts", "dlq_retry_count", "dead_lettered_at", "owner", "idempotency_key", "trace_context",
}

// scanTask reads one row selected with readColumns.
func scanTask(row pgx.Row) (*taskq.Task, error) {
	var (
		t                                         taskq.Task
		status                                    string
		priority                                  int16
		retryCount, maxRetries, attempts, dlqRetr int32
		timeoutMS                                 int64
		errJSON, result, metadata                 []byte
		traceContext                              map[string]string
		progress                                  []byte
	)
	err := row.Scan(&t.ID, &t.Type, &status, &priority, &t.Description, &t.Created, &t.Updated,
		&t.CompletedAt, &t.Deadline, &retryCount, &maxRetries, &errJSON, &result, &metadata,
		&t.Queue, &t.RunAt, &t.StartedAt, &timeoutMS, &attempts, &dlqRetr, &t.DeadLetteredAt,
		&t.Owner, &t.IdempotencyKey, &traceContext, &progress)
	if err != nil {
		return nil, err
	}
	if len(traceContext) > 0 {
		t.TraceContext = traceContext
	}
	if progress != nil {
		t.Progress = &taskq.Progress{}
		if err := json.Unmarshal(progress, t.Progress); err != nil {
			return nil, decodeError(err)
		}
		t.Progress.Updated = t.Progress.Updated.UTC()
	}
	t.Status = taskq.TaskStatus(status)
	t.Priority = taskq.TaskPriority(priority)
	t.RetryCount, t.MaxRetries, t.Attempts, t.DLQRetryCount = int(retryCount), int(maxRetries), int(attempts), int(dlqRetr)
	t.Timeout = time.Duration(timeoutMS) * time.Millisecond
	t.Created, t.Updated, t.RunAt = t.Created.UTC(), t.Updated.UTC(), t.RunAt.UTC()
	for _, p := range []*time.Time{t.CompletedAt, t.Deadline, t.StartedAt, t.DeadLetteredAt} {
		if p != nil {
			*p = p.UTC()
		}
	}
	if errJSON != nil {
		t.Error = &taskq.TaskError{}
		if err := json.Unmarshal(errJSON, t.Error); err != nil {
			return nil, decodeError(err)
		}
	}
	if result != nil {
		// jsonb re-formats the document; compact it back to the form a Go
		// encoder writes.
		var buf bytes.Buffer
		if err := json.Compact(&buf, result); err != nil {
			return nil, decodeError(err)
		}
		t.Result = buf.Bytes()
	}
	if metadata != nil {
		// Numbers as json.Number: exact digits, the same form on every
		// backend.
		if t.Metadata, err = taskq.DecodeMetadata(metadata); err != nil {
			return nil, decodeError(err)
		}
	}
	return &t, nil
}

// taskRow is a task encoded for the database.
type taskRow struct {
	id                  string // canonical
	uid                 pgtype.UUID
	errJSON, result     []byte
	metadata            []byte
	traceContext        []byte         // JSON, nil when the task has none
	md                  map[string]any // metadata as stored and read back
	priority            int16
	timeoutMS           int64
	completed, deadline *time.Time
	started, deadLetter *time.Time
}

// encodeTask validates the parts of t the schema needs and encodes its
// JSON columns, metadata only when withMetadata (updates leave it alone),
// also in the form a read returns (taskq.NormalizeMetadata).
// A dead_letter task without a DLQ entry time gets one (its
// Updated time, else now), so that every DLQ entry has a place in the
// oldest-first order and in cursors.
func (s *Store) encodeTask(op string, t *taskq.Task, withMetadata bool) (taskRow, error) {
	if t == nil {
		return taskRow{}, invalidInput(op, "nil task")
	}
	uid, id, ok := parseUUID(t.ID)
	if !ok {
		return taskRow{}, &taskq.Error{Code: taskq.CodeValidation, Message: op + ": id must be a UUID",
			Details: []taskq.FieldError{{Field: "id", Message: "must be a UUID"}}}
	}
	r := taskRow{id: id, uid: uid, priority: int16(t.Priority), timeoutMS: t.Timeout.Milliseconds(),
		completed: t.CompletedAt, deadline: t.Deadline, started: t.StartedAt, deadLetter: t.DeadLetteredAt}
	if t.Status == taskq.StatusDeadLetter && r.deadLetter == nil {
		at := t.Updated
		if at.IsZero() {
			at = s.cfg.Now()
		}
		r.deadLetter = &at
	}
	if t.Priority < -1<<15 || t.Priority > 1<<15-1 {
		r.priority = -1 // out of smallint range: let the CHECK reject it
	}
	var err error
	if t.Error != nil {
		if r.errJSON, err = json.Marshal(t.Error); err != nil {
			return taskRow{}, invalidInput(op, "error is not encodable as JSON")
		}
		r.errJSON = replaceNUL(r.errJSON) // jsonb cannot hold U+0000 (nul.go)
	}
	if t.Result != nil {
		if !json.Valid(t.Result) {
			return taskRow{}, invalidInput(op, "result is not valid JSON")
		}
		r.result = replaceNUL(t.Result) // jsonb cannot hold U+0000 (nul.go)
	}
	if len(t.TraceContext) > 0 {
		if r.traceContext, err = json.Marshal(t.TraceContext); err != nil {
			return taskRow{}, invalidInput(op, "trace context is not encodable as JSON")
		}
	}
	if withMetadata && t.Metadata != nil {
		if r.md, r.metadata, err = taskq.NormalizeMetadata(t.Metadata); err != nil {
			return taskRow{}, invalidInput(op, "metadata is not encodable as JSON")
		}
		if hasNUL(r.metadata) {
			return taskRow{}, invalidInput(op, "metadata strings must not contain U+0000 (PostgreSQL jsonb cannot store it)")
		}
	}
	return r, nil
}

// insertValues returns the values of insertColumns for t.
func (r taskRow) insertValues(t *taskq.Task) []any {
	return []any{
		r.uid, t.Type, string(t.Status), r.priority, t.Description, t.Created, t.Updated, r.completed,
		r.deadline, int32(t.RetryCount), int32(t.MaxRetries), r.errJSON, r.result, r.metadata, t.Queue, t.RunAt, r.started,
		r.timeoutMS, int32(t.Attempts), int32(t.DLQRetryCount), r.deadLetter, t.Owner, t.IdempotencyKey, r.traceContext,
	}
}

// parseID returns the canonical form of a task id, or false when it is not
// a UUID (such a task cannot exist).
func parseID(id string) (string, bool) {
	_, s, ok := parseUUID(id)
	return s, ok
}

// parseUUID returns a task id as a query argument (pgx encodes
// pgtype.UUID in binary directly; a string argument for a uuid parameter
// fails the binary encoding first, at the cost of a formatted error, and
// then goes as text) and in canonical form, or false when it is not a
// UUID.
func parseUUID(id string) (pgtype.UUID, string, bool) {
	u, err := uuid.Parse(id)
	if err != nil {
		return pgtype.UUID{}, "", false
	}
	return pgtype.UUID{Bytes: u, Valid: true}, u.String(), true
}

func decodeError(err error) error {
	return &taskq.Error{Code: taskq.CodeInternal, Message: "cannot decode task record", Err: err}
}
