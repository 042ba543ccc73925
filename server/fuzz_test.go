package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/taskq/taskq"
)

// FuzzCreateTaskBody feeds arbitrary bodies to the create-task decoder and
// checker: they never panic, and every refusal is a client error (400, 413
// or 422) with a message fit for a response.
func FuzzCreateTaskBody(f *testing.F) {
	for _, seed := range []string{
		`{"type":"noop"}`,
		`{"type":"sleep","metadata":{"duration_ms":10},"priority":"HIGH","max_retries":0}`,
		`{"type":"http","metadata":{"url":"https://api.example.com/x","method":"POST","body":{"a":[1,2]}}}`,
		`{"type":"noop","deadline":"2030-01-01T00:00:00Z","run_at":"2029-01-01T00:00:00.123456789+02:00","timeout_ms":1000,"queue":"default","description":"d"}`,
		`{"type":"noop","priority":3.0}`, `{"type":"noop","priority":null,"metadata":null}`,
		`{"type":"noop"} trailing`, `{"type":"noop","x":1}`, `[]`, `null`, ``, `{"metadata":{"a":1e400}}`,
		`{"type":"\u0000"}`, `{"description":"` + strings.Repeat("é", 1001) + `"}`, `{"type":"noop","metadata":{"k":{"k":{"k":[]}}}}`,
	} {
		f.Add(seed)
	}
	s, err := New(Config{AdminKey: testAdminKey, HTTPAllow: []string{"api.example.com"}}, Deps{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := decodeCreateTask(http.MaxBytesReader(nil, readCloser(body), MaxBodyBytes))
		if err != nil {
			requireClientError(t, err, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
			return
		}
		spec, details := s.parseCreateTask(req)
		for _, d := range details {
			if d.Field == "" || d.Message == "" {
				t.Fatalf("empty detail %+v", d)
			}
		}
		if len(details) == 0 {
			if _, known := s.types[spec.typ]; !known {
				t.Fatalf("unknown type %q accepted", spec.typ)
			}
		}
	})
}

// FuzzTaskListQuery feeds arbitrary query strings to the list parsers:
// they never panic, every refusal is invalid_input, and what they accept is
// within bounds.
func FuzzTaskListQuery(f *testing.F) {
	for _, seed := range []string{
		"", "status=pending", "status=pending,failed&type=noop&priority=high&limit=10&cursor=abc",
		"limit=1000", "limit=1001", "limit=-1", "priority=7", "status=", "foo=bar", "type=a%20b",
		"limit=1&limit=2", "cursor=" + strings.Repeat("c", 600), "%zz", "a;b",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // the handler answers 400 before parsing
		}
		tf, err := parseTaskListQuery(q)
		if err != nil {
			requireClientError(t, err, http.StatusBadRequest)
		} else {
			if tf.Limit < 1 || tf.Limit > taskq.MaxPageSize || len(tf.Cursor) > maxCursorLen {
				t.Fatalf("out of bounds: %+v", tf)
			}
			if tf.Priority != nil && !tf.Priority.Valid() {
				t.Fatalf("invalid priority accepted: %v", *tf.Priority)
			}
			for _, st := range tf.Statuses {
				if !st.Valid() {
					t.Fatalf("invalid status accepted: %q", st)
				}
			}
		}
		df, err := parseDLQListQuery(q)
		if err != nil {
			requireClientError(t, err, http.StatusBadRequest)
		} else if df.Limit < 1 || df.Limit > taskq.MaxPageSize {
			t.Fatalf("out of bounds: %+v", df)
		}
	})
}

// requireClientError checks that err maps to one of statuses with a
// printable message.
func requireClientError(t *testing.T, err error, statuses ...int) {
	t.Helper()
	var te *taskq.Error
	if !errors.As(err, &te) {
		t.Fatalf("not a *taskq.Error: %v", err)
	}
	status := statusOf(te.Code)
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
	}
	for _, s := range statuses {
		if s == status {
			if te.Message == "" || !taskq.ValidText(te.Message) {
				t.Fatalf("bad message %q", te.Message)
			}
			return
		}
	}
	t.Fatalf("status %d not in %v: %v", status, statuses, err)
}
