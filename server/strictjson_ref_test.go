package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/taskq/taskq"
)

// checkJSONTokens is the reference for checkJSON: the same checks, done
// by walking encoding/json's tokens (slower, simpler). The differential
// test and fuzz target below hold checkJSON to it.
func checkJSONTokens(b []byte, v any) error {
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
	var top [][]byte
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
					top = append(top, []byte(t))
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

// strictCases are bodies for the differential test and fuzz seeds.
var strictCases = []string{
	`{"type":"noop"}`, `{"type":"noop","type":"sleep"}`, `{"type":"noop","metadata":{"a":1,"a":2}}`,
	`{"type":"noop","metadata":{"x":[{"k":1,"k":1}]}}`, `{"Type":"noop"}`, `{"type":"noop","METADATA":{}}`,
	`{"type":"no\u0000op"}`, `{"type":"noop","metadata":{"a":"x\u0000"}}`, `{"metadata":{"a\u0000":1}}`,
	`{"type":"noop","metadata":{"a":"\\u0000"}}`, "{\"type\":\"noop\",\"description\":\"\xff\xfe\"}",
	`{"type":"noop","metadata":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70) + `}`,
	strings.Repeat(`[`, 64) + strings.Repeat(`]`, 64), strings.Repeat(`[`, 65) + strings.Repeat(`]`, 65),
	`{"a":"\u0061","\u0061":1}`, `{"a":1,"\u0061":2}`, `{"\ud800":1,"\ufffd":2}`, `{"\ud83d\ude00":1,"😀":2}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"a":18}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":{"a":1,"a":1}}`,
	`{"type":"noop"} trailing`, `{"type":"noop"} {"a":1,"a":2}`, `{} "\u0000"`, `"\u0000"`, `[1,"\u0000"]`,
	`{"":1,"x":"\u0000"}`, `{"a":"\u0000`, `{"a":1,"a"`, `{"a" 1}`, `{"a":1 "a":2}`, `[1 2]`, `{,}`, `01`, `-`,
	`1.`, `1e`, `1e+5`, `-0.5E-7`, `truex`, `nul`, `[true,false,null]`, `{"a":"\x"}`, `{"a":"\u12"}`,
	"{\"a\":\"\t\"}", `{"a":[],"b":{},"c":[{}],"d":""}`, ` { "a" : 1 , "b" : [ 1 , 2 ] } `, `{"a":{"b":1},"a ":2}`,
	`{"TYPE":1,"type":2}`, `{"TYPE":1,"type":2}[`, `{"Type":1,`, `{"Type"`, `{"Type":[1,`, `{"Type":"a`, `{"Type":tru`, `{"metadata":{"Type":1}}`, ``, `null`, `[]`, `{`, `}`, `]`, `"`, `{"a":1}}`,
}

// TestCheckJSONMatchesReference: the one-pass checkJSON gives the token
// walk's verdict (same error, or none) on every case.
func TestCheckJSONMatchesReference(t *testing.T) {
	for _, c := range strictCases {
		requireSameCheck(t, []byte(c))
	}
}

// TestCheckJSONMatchesReferenceOnMutations holds checkJSON to the
// reference on 50,000 bodies mutated from the cases (bytes inserted,
// deleted, cases spliced in), with a fixed seed.
func TestCheckJSONMatchesReferenceOnMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(`{}[]":,\u0000abc 01-.eE+tfnrl` + "\xff\x00")
	for range 50_000 {
		b := []byte(strictCases[r.IntN(len(strictCases))])
		for range r.IntN(6) {
			i := r.IntN(len(b) + 1)
			switch r.IntN(3) {
			case 0:
				b = append(b[:i:i], append([]byte{alphabet[r.IntN(len(alphabet))]}, b[i:]...)...)
			case 1:
				if i < len(b) {
					b = append(b[:i:i], b[i+1:]...)
				}
			case 2:
				b = append(b[:i:i], append([]byte(strictCases[r.IntN(len(strictCases))]), b[i:]...)...)
			}
		}
		requireSameCheck(t, b)
	}
}

// FuzzCheckJSON holds checkJSON to the reference walk on any body.
func FuzzCheckJSON(f *testing.F) {
	for _, c := range strictCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, body string) { requireSameCheck(t, []byte(body)) })
}

func requireSameCheck(t *testing.T, b []byte) {
	t.Helper()
	var req createTaskRequest
	got, want := checkJSON(b, &req), checkJSONTokens(b, &req)
	if !json.Valid(b) && (got == nil || want == nil) {
		// Malformed: a check the walk reached before the syntax error
		// may differ in where each walk stops; the decoder refuses the
		// body anyway (decodeJSON's outcome is compared below).
		gotD, wantD := decodeJSON(bytes.NewReader(b), &createTaskRequest{}, false), decodeWith(b, checkJSONTokens)
		if (gotD == nil) != (wantD == nil) || errStatus(gotD) != errStatus(wantD) {
			t.Fatalf("%q: decodeJSON gives %v (%d), with the reference walk %v (%d)", b, gotD, errStatus(gotD), wantD, errStatus(wantD))
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: checkJSON = %v, reference = %v", b, got, want)
	}
}

// decodeWith is decodeJSON with check in place of checkJSON.
func decodeWith(b []byte, check func([]byte, any) error) error {
	var req createTaskRequest
	if err := check(b, &req); err != nil {
		return err
	}
	return decodeJSON(bytes.NewReader(b), &req, false)
}

// errStatus is the HTTP status an error of decodeJSON is answered with (0
// for none).
func errStatus(err error) int {
	if err == nil {
		return 0
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return statusOf(taskq.AsError(err).Code)
}
