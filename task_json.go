package taskq

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// appendJSON appends the task's JSON to b: what json.Marshal gives for
// taskWire (the fields of Task in order, timeout_ms in milliseconds),
// written field by field. Every response of the HTTP API holds tasks, and
// reflection was the larger part of encoding them. Values of uncommon
// shape (an error, a result, progress, metadata other than a flat object
// of strings, plain numbers and literals, strings that need escaping) are
// encoded by encoding/json; TestTaskJSONMatchesReflection and
// FuzzTaskJSONMatchesReflection check the output against it.
func (t *Task) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, t.ID)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, t.Type)
	b = append(b, `,"status":`...)
	if !t.Status.Valid() {
		_, err := t.Status.MarshalText() // the error encoding/json would give
		return nil, err
	}
	b = appendJSONString(b, string(t.Status))
	b = append(b, `,"priority":`...)
	b = strconv.AppendInt(b, int64(t.Priority), 10)
	b = append(b, `,"description":`...)
	b = appendJSONString(b, t.Description)
	var err error
	b = append(b, `,"created":`...)
	if b, err = appendJSONTime(b, t.Created); err != nil {
		return nil, err
	}
	b = append(b, `,"updated":`...)
	if b, err = appendJSONTime(b, t.Updated); err != nil {
		return nil, err
	}
	b = append(b, `,"completed_at":`...)
	if b, err = appendJSONTimePtr(b, t.CompletedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"deadline":`...)
	if b, err = appendJSONTimePtr(b, t.Deadline); err != nil {
		return nil, err
	}
	b = append(b, `,"retry_count":`...)
	b = strconv.AppendInt(b, int64(t.RetryCount), 10)
	b = append(b, `,"max_retries":`...)
	b = strconv.AppendInt(b, int64(t.MaxRetries), 10)
	if t.Error != nil {
		b = append(b, `,"error":`...)
		if b, err = appendMarshal(b, t.Error); err != nil {
			return nil, err
		}
	}
	if len(t.Result) != 0 {
		b = append(b, `,"result":`...)
		if b, err = appendMarshal(b, t.Result); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"metadata":`...)
	if b, err = appendJSONMetadata(b, t.Metadata); err != nil {
		return nil, err
	}
	b = append(b, `,"queue":`...)
	b = appendJSONString(b, t.Queue)
	b = append(b, `,"run_at":`...)
	if b, err = appendJSONTime(b, t.RunAt); err != nil {
		return nil, err
	}
	if t.StartedAt != nil {
		b = append(b, `,"started_at":`...)
		if b, err = appendJSONTime(b, *t.StartedAt); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(t.Attempts), 10)
	b = append(b, `,"dlq_retry_count":`...)
	b = strconv.AppendInt(b, int64(t.DLQRetryCount), 10)
	if t.DeadLetteredAt != nil {
		b = append(b, `,"dead_lettered_at":`...)
		if b, err = appendJSONTime(b, *t.DeadLetteredAt); err != nil {
			return nil, err
		}
	}
	if t.Owner != "" {
		b = append(b, `,"owner":`...)
		b = appendJSONString(b, t.Owner)
	}
	if t.IdempotencyKey != "" {
		b = append(b, `,"idempotency_key":`...)
		b = appendJSONString(b, t.IdempotencyKey)
	}
	if t.Progress != nil {
		b = append(b, `,"progress":`...)
		if b, err = appendMarshal(b, t.Progress); err != nil {
			return nil, err
		}
	}
	if ms := t.Timeout.Milliseconds(); ms != 0 {
		b = append(b, `,"timeout_ms":`...)
		b = strconv.AppendInt(b, ms, 10)
	}
	return append(b, '}'), nil
}

// appendMarshal appends json.Marshal(v).
func appendMarshal(b []byte, v any) ([]byte, error) {
	e, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, e...), nil
}

// appendJSONString appends s as encoding/json writes it: as is when every
// byte is printable ASCII that needs no escape (HTML's <, > and & are
// escaped by encoding/json), else by encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			e, _ := json.Marshal(s) // a string always encodes
			return append(b, e...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONTime appends t as time.Time's MarshalJSON writes it.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

func appendJSONTimePtr(b []byte, t *time.Time) ([]byte, error) {
	if t == nil {
		return append(b, "null"...), nil
	}
	return appendJSONTime(b, *t)
}

// appendJSONMetadata appends m, by hand when it is flat (strings, plain
// numbers, booleans and nulls), with its keys sorted as encoding/json
// sorts them; else with encoding/json.
func appendJSONMetadata(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	keys := make([]string, 0, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string, bool, nil:
		case json.Number:
			if !plainJSONNumber(string(v)) {
				return appendMarshal(b, m)
			}
		default:
			return appendMarshal(b, m)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		switch v := m[k].(type) {
		case string:
			b = appendJSONString(b, v)
		case json.Number:
			b = append(b, v...)
		case bool:
			b = strconv.AppendBool(b, v)
		case nil:
			b = append(b, "null"...)
		}
	}
	return append(b, '}'), nil
}
