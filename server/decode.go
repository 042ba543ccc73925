package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/taskq/taskq"
)

// errBodyTooLarge answers a body over MaxBodyBytes: 413, code
// invalid_input.
var errBodyTooLarge = &statusError{
	status: http.StatusRequestEntityTooLarge,
	err:    apiError(taskq.CodeInvalidInput, fmt.Sprintf("request body exceeds %d bytes", MaxBodyBytes)),
}

// decodeJSON decodes one JSON object from body into v, strictly: unknown
// fields and trailing data are refused (400), as is malformed JSON; a
// value of the wrong type is 422 naming the field; an oversized body 413.
// An empty body is 400 unless allowEmpty.
//
// Before decoding, the body is checked as a whole (checkJSON): it must be
// valid UTF-8, no object may repeat a key, no string (key or value, at any
// depth, metadata included) may hold NUL, and top-level field names must
// match exactly: encoding/json would accept "Type" for "type".
func decodeJSON(body io.Reader, v any, allowEmpty bool) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return decodeError(err)
	}
	if allowEmpty && len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := checkJSON(b, v); err != nil {
		return err
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] != '{' {
		// null, an array or a scalar would decode into nothing or fail
		// with a type error: the body must be an object.
		return apiError(taskq.CodeInvalidInput, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) && allowEmpty {
			return nil
		}
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errBodyTooLarge
		}
		return apiError(taskq.CodeInvalidInput, "unexpected data after the JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return errBodyTooLarge
	case errors.Is(err, io.EOF):
		return apiError(taskq.CodeInvalidInput, "request body is empty; a JSON object is expected")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiError(taskq.CodeInvalidInput, "malformed JSON: unexpected end of input")
	case errors.As(err, &se):
		return apiError(taskq.CodeInvalidInput, fmt.Sprintf("malformed JSON at byte %d", se.Offset))
	case errors.As(err, &te):
		if te.Field == "" {
			return apiError(taskq.CodeInvalidInput, "the request body must be a JSON object")
		}
		msg := "must be " + jsonKind(te.Type.Kind().String())
		return validationError([]taskq.FieldError{{Field: te.Field, Message: msg}})
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return apiError(taskq.CodeInvalidInput, "unknown field "+clip(f, 80))
	}
	return apiError(taskq.CodeInvalidInput, "malformed JSON")
}

// jsonKind names a Go kind the way a JSON client would.
func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "an integer"
	case strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "a boolean"
	case k == "map", k == "struct":
		return "an object"
	case k == "slice", k == "array":
		return "an array"
	}
	return "of another type"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
