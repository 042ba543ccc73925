package tasktypes

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/taskq/taskq"
)

// field names the metadata key in a FieldError.
func field(key string) string { return "metadata." + key }

func problem(key, msg string) taskq.FieldError {
	return taskq.FieldError{Field: field(key), Message: msg}
}

// intParam reads an optional integer metadata value within [lo, hi]. Values
// decoded from JSON are float64 or json.Number; Go callers may pass ints.
// It returns def when the key is absent or null.
func intParam(md map[string]any, key string, lo, hi, def int64) (int64, *taskq.FieldError) {
	v, ok := md[key]
	if !ok || v == nil {
		return def, nil
	}
	bad := problem(key, fmt.Sprintf("must be an integer between %d and %d", lo, hi))
	var n int64
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || x < float64(lo) || x > float64(hi) {
			return 0, &bad
		}
		n = int64(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return 0, &bad
		}
		n = i
	case int:
		n = int64(x)
	case int64:
		n = x
	case int32:
		n = int64(x)
	default:
		return 0, &bad
	}
	if n < lo || n > hi {
		return 0, &bad
	}
	return n, nil
}

// boolParam reads an optional boolean metadata value, def when absent.
func boolParam(md map[string]any, key string, def bool) (bool, *taskq.FieldError) {
	v, ok := md[key]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		p := problem(key, "must be a boolean")
		return false, &p
	}
	return b, nil
}

// stringParam reads an optional string metadata value of at most max bytes
// of valid text, def when absent.
func stringParam(md map[string]any, key string, max int, def string) (string, *taskq.FieldError) {
	v, ok := md[key]
	if !ok || v == nil {
		return def, nil
	}
	s, ok := v.(string)
	if !ok || len(s) > max || !taskq.ValidText(s) {
		p := problem(key, fmt.Sprintf("must be text of at most %d bytes", max))
		return "", &p
	}
	return s, nil
}

// collect gathers the non-nil problems.
func collect(ps ...*taskq.FieldError) []taskq.FieldError {
	var out []taskq.FieldError
	for _, p := range ps {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// invalidMetadata turns problems found at run time (a task stored before a
// validator existed, or created through the library directly) into a
// permanent validation error: running it again cannot help.
func invalidMetadata(ps []taskq.FieldError) error {
	e := &taskq.Error{Code: taskq.CodeValidation, Message: ps[0].Field + " " + ps[0].Message, Details: ps}
	return taskq.Permanent(e)
}
