package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/taskq/taskq"
)

// maxJSONDepth bounds the nesting checkJSON walks (and so what any later
// decoder sees).
const maxJSONDepth = 64

// checkJSON refuses, with 400 invalid_input, a body that is not valid
// UTF-8, that repeats a key inside one object, that holds NUL in any string
// (keys included), that nests deeper than maxJSONDepth, or whose top-level
// keys match a field of v only case-insensitively. Malformed JSON is left
// to the decoder's own error.
func checkJSON(b []byte, v any) error {
	if !utf8.Valid(b) {
		return apiError(taskq.CodeInvalidInput, "request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // object: the next string token is a key
	}
	var stack []*frame
	var top []string
	field := "" // the top-level key whose value is being read
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil // malformed: the decoder reports it
		}
		var cur *frame
		if n := len(stack); n > 0 {
			cur = stack[n-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if cur != nil && cur.object {
					cur.expect = true
				}
				if len(stack) >= maxJSONDepth {
					return apiError(taskq.CodeInvalidInput, "JSON nests too deep")
				}
				stack = append(stack, &frame{object: t == '{', keys: map[string]bool{}, expect: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				if n := len(stack); n > 0 && stack[n-1].object {
					stack[n-1].expect = true
				}
			}
			continue
		case string:
			isKey := cur != nil && cur.object && cur.expect
			if strings.IndexByte(t, 0) >= 0 {
				if isKey || field == "" {
					return apiError(taskq.CodeInvalidInput, "strings must not contain NUL (\\u0000)")
				}
				return validationError([]taskq.FieldError{{Field: field, Message: "must not contain NUL (\\u0000)"}})
			}
			if isKey {
				if cur.keys[t] {
					return apiError(taskq.CodeInvalidInput, "duplicate key "+clip(quoteKey(t), 80))
				}
				cur.keys[t] = true
				cur.expect = false
				if len(stack) == 1 {
					top = append(top, t)
					field = t
				}
				continue
			}
		}
		if cur != nil && cur.object {
			cur.expect = true
		}
	}
	return checkFieldCase(top, v)
}

// checkFieldCase refuses a key that names a field of v's struct only
// case-insensitively.
func checkFieldCase(keys []string, v any) error {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	exact := map[string]bool{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		exact[name] = true
	}
	for _, k := range keys {
		if exact[k] {
			continue
		}
		for name := range exact {
			if strings.EqualFold(name, k) {
				return apiError(taskq.CodeInvalidInput, "unknown field "+clip(quoteKey(k), 80)+" (field names are case-sensitive: "+name+")")
			}
		}
	}
	return nil
}

func quoteKey(k string) string {
	b, _ := json.Marshal(k)
	return string(b)
}
