package taskq

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/taskq/taskq/internal/names"
	"github.com/taskq/taskq/internal/timerange"
)

// Limits enforced by ValidateTask.
const (
	MaxTypeLength        = 255
	MaxDescriptionLength = 1000
	MaxRetriesLimit      = 100
	MaxMetadataBytes     = 64 << 10
	MaxQueueNameLength   = 128
)

// ValidText reports whether s is valid UTF-8 without control characters
// other than newline and tab.
func ValidText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return false
		}
	}
	return true
}

// ValidateTask checks a new task's fields and returns a validation error
// listing every problem, or nil.
func ValidateTask(t *Task, now time.Time) error {
	var d []FieldError
	add := func(f, m string) { d = append(d, FieldError{Field: f, Message: m}) }
	if !names.Valid(t.Type, MaxTypeLength) {
		add("type", fmt.Sprintf("must be 1-%d characters of letters, digits and ._:-/", MaxTypeLength))
	}
	if !names.Valid(t.Queue, MaxQueueNameLength) {
		add("queue", fmt.Sprintf("must be 1-%d characters of letters, digits and ._:-/", MaxQueueNameLength))
	}
	if !t.Priority.Valid() {
		add("priority", "must be between 0 and 3")
	}
	if t.MaxRetries < 0 || t.MaxRetries > MaxRetriesLimit {
		add("max_retries", fmt.Sprintf("must be between 0 and %d", MaxRetriesLimit))
	}
	if utf8.RuneCountInString(t.Description) > MaxDescriptionLength {
		add("description", fmt.Sprintf("must be at most %d characters", MaxDescriptionLength))
	} else if !ValidText(t.Description) {
		add("description", "must not contain control characters")
	}
	switch {
	case t.Deadline != nil && !timerange.Valid(*t.Deadline):
		add("deadline", timerange.Message)
	case t.Deadline != nil && !t.Deadline.After(now):
		add("deadline", "must be in the future")
	}
	if !timerange.Valid(t.RunAt) {
		add("run_at", timerange.Message)
	}
	if t.Timeout < 0 {
		add("timeout_ms", "must not be negative")
	}
	if len(t.Metadata) > 0 {
		b, err := json.Marshal(t.Metadata)
		switch {
		case err != nil:
			add("metadata", "must be encodable as JSON")
		case len(b) > MaxMetadataBytes:
			add("metadata", fmt.Sprintf("must be at most %d bytes encoded", MaxMetadataBytes))
		case hasExponent(t.Metadata):
			// DecodeMetadata writes exponents out up to ±1000 only; a
			// larger one would read back differently from PostgreSQL
			// (jsonb writes it out, or refuses it) than from the others.
			add("metadata", "numbers must have exponents between -1000 and 1000")
		}
	}
	if !ValidText(t.IdempotencyKey) || len(t.IdempotencyKey) > 255 {
		add("idempotency_key", "must be at most 255 printable characters")
	}
	if len(d) == 0 {
		return nil
	}
	return &Error{Code: CodeValidation, Message: d[0].Field + " " + d[0].Message, Details: d}
}

// hasExponent reports whether v holds a json.Number that stays in
// exponent notation once normalized: plainNumber leaves it alone, its
// exponent beyond ±1000.
func hasExponent(v any) bool {
	switch v := v.(type) {
	case json.Number:
		return strings.ContainsAny(string(plainNumber(v)), "eE")
	case map[string]any:
		for _, e := range v {
			if hasExponent(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasExponent(e) {
				return true
			}
		}
	}
	return false
}
