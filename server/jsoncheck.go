package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/taskq/taskq"
)

// errUnsupportedMedia answers a body that is not declared JSON: 415, code
// invalid_input.
var errUnsupportedMedia = &statusError{
	status: http.StatusUnsupportedMediaType,
	err:    apiError(taskq.CodeInvalidInput, "a request body must be sent with Content-Type: application/json"),
}

// checkContentType refuses (415) a request that carries a body without
// Content-Type application/json (a charset parameter, when given, must be
// utf-8). A request without a body (Content-Length 0) needs no content
// type: POST /api/dlq/cleanup and POST /api/dlq/{id}/retry may be sent
// bare.
func checkContentType(r *http.Request) error {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errUnsupportedMedia
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return errUnsupportedMedia
		}
	}
	return nil
}

// checkJSON walks the JSON text raw (known to be valid UTF-8) and refuses
// what encoding/json would accept silently: duplicate keys in any object
// (the last one would win), a NUL (U+0000) in any string, keys included
// (PostgreSQL cannot store it, and C-based consumers truncate at it), and
// a top-level key that is not exactly one of fields (encoding/json matches
// names case-insensitively). fields nil allows any top-level key. Syntax
// errors are left to the decoder that follows.
func checkJSON(raw []byte, fields map[string]bool) error {
	type frame struct {
		obj     bool
		wantKey bool
		keys    map[string]bool
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var stack []*frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return nil // the decoder reports syntax errors with their offset
		}
		var top *frame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &frame{obj: true, wantKey: true, keys: map[string]bool{}})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if strings.IndexByte(t, 0) >= 0 {
				return apiError(taskq.CodeInvalidInput, "strings must not contain NUL (\\u0000)")
			}
			if top != nil && top.obj && top.wantKey {
				if top.keys[t] {
					return apiError(taskq.CodeInvalidInput, fmt.Sprintf("duplicate key %q", clip(t, 80)))
				}
				top.keys[t] = true
				top.wantKey = false
				if len(stack) == 1 && fields != nil && !fields[t] {
					return apiError(taskq.CodeInvalidInput, fmt.Sprintf("unknown field %q (names are case-sensitive)", clip(t, 80)))
				}
				continue
			}
			valueDone()
		default:
			valueDone()
		}
		if len(stack) == 0 {
			return nil // one value: trailing data is the decoder's to refuse
		}
	}
}

// jsonFields returns the JSON names of the fields of the struct v points
// to, or nil when v is not a pointer to a struct.
func jsonFields(v any) map[string]bool {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	t = t.Elem()
	out := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out[name] = true
	}
	return out
}
