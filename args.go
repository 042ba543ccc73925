package taskq

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Args is the input of a typed task: a Go value whose Kind names the task
// type, stored as the task's JSON metadata object. Kind must work on the
// zero value (use a value receiver), because the worker calls it on the
// zero value at registration.
//
//	type SendEmail struct {
//		To      string `json:"to"`
//		Subject string `json:"subject"`
//	}
//
//	func (SendEmail) Kind() string { return "email.send" }
//
// Enqueue it with Client.EnqueueArgs and handle it with worker.HandleArgs;
// the HTTP API shows the same task with the fields under "metadata".
type Args interface {
	// Kind is the task type.
	Kind() string
}

// Job is a task with its decoded typed input, given to handlers registered
// with worker.HandleArgs.
type Job[T Args] struct {
	// Task is the record (id, attempt, deadline, ...). Its Metadata holds
	// the same input as Args, in JSON form.
	*Task
	// Args is the decoded input.
	Args T
}

// DecodeArgs decodes t.Metadata into a T. A failure is a permanent error
// (the task cannot succeed on retry) naming the Go type and the task type.
func DecodeArgs[T Args](t *Task) (T, error) {
	var v T
	b, err := json.Marshal(t.Metadata)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		err = dec.Decode(&v)
	}
	if err != nil {
		return v, &Error{Code: CodeValidation, Err: err,
			Message: fmt.Sprintf("task %s: metadata of type %q does not decode into %s", t.ID, t.Type, typeName[T]())}
	}
	return v, nil
}

func typeName[T any]() string {
	return reflect.TypeFor[T]().String()
}

// argsMetadata encodes typed args as a metadata object.
func argsMetadata(a Args) (map[string]any, error) {
	if a == nil {
		return nil, &Error{Code: CodeValidation, Message: "args must not be nil"}
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, &Error{Code: CodeValidation, Message: fmt.Sprintf("args %T do not encode as JSON", a), Err: err}
	}
	m, err := DecodeMetadata(b)
	if err != nil {
		return nil, &Error{Code: CodeValidation, Message: fmt.Sprintf("args %T must encode as a JSON object", a), Err: err}
	}
	return m, nil
}

// DecodeMetadata decodes a JSON object into task metadata the way every
// storage returns it: objects as map[string]any, arrays as []any, numbers
// as json.Number (no precision is lost: an int64 above 2^53 keeps every
// digit), strings, booleans and nil. JSON null gives an empty map. Numbers
// are written as PostgreSQL's jsonb writes them: exponents expanded
// (1e-07 is 0.0000001, 1e+21 is 1000000000000000000000) and zero without
// a sign, so that metadata reads the same from every storage.
func DecodeMetadata(b []byte) (map[string]any, error) {
	if m, ok := decodeFlat(b); ok {
		return m, nil
	}
	return decodeMetadataJSON(b)
}

// decodeMetadataJSON is DecodeMetadata with encoding/json, for any input.
func decodeMetadataJSON(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("taskq: metadata has data after the object")
	}
	if m == nil {
		m = map[string]any{}
	}
	for k, v := range m {
		m[k] = plainNumbers(v)
	}
	return m, nil
}

// plainNumbers rewrites the json.Numbers in v (recursively) with
// plainNumber.
func plainNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		return plainNumber(v)
	case map[string]any:
		for k, e := range v {
			v[k] = plainNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = plainNumbers(e)
		}
	}
	return v
}

// plainNumber returns a JSON number in the notation of PostgreSQL's
// numeric output: no exponent (the digits after the point are those of the
// mantissa less the exponent, at least none) and no sign on zero.
// Exponents beyond ±1000 are left alone.
func plainNumber(n json.Number) json.Number {
	s := string(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || exp < -1000 || exp > 1000 {
			return n
		}
		intPart, frac, _ := strings.Cut(s[:i], ".")
		digits := intPart + frac
		p := len(intPart) + exp // position of the point in digits
		switch {
		case p <= 0:
			s = "0." + strings.Repeat("0", -p) + digits
		case p >= len(digits):
			s = digits + strings.Repeat("0", p-len(digits))
		default:
			s = digits[:p] + "." + digits[p:]
		}
		if intEnd := strings.IndexByte(s, '.'); intEnd != 1 {
			trimmed := strings.TrimLeft(s, "0")
			if trimmed == "" || trimmed[0] == '.' {
				trimmed = "0" + trimmed
			}
			s = trimmed
		}
	}
	if neg && strings.Trim(s, "0.") != "" {
		s = "-" + s
	}
	return json.Number(s)
}

// NormalizeMetadata returns m in the form every storage gives back (see
// DecodeMetadata) together with its JSON encoding, so that a task returned
// by Enqueue equals the same task read back later on any backend.
func NormalizeMetadata(m map[string]any) (map[string]any, []byte, error) {
	if m == nil {
		return map[string]any{}, []byte("{}"), nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	if n, ok := normalizeFast(m); ok {
		return n, b, nil
	}
	n, err := DecodeMetadata(b)
	if err != nil {
		return nil, nil, err
	}
	return n, b, nil
}
