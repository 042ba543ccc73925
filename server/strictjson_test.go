package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

// TestStrictJSON sends bodies that encoding/json alone would accept or
// store badly: duplicate keys, field names in another case, NUL anywhere
// (PostgreSQL would refuse it later with a 500), invalid UTF-8 (silently
// replaced by U+FFFD), deep nesting. Each is refused with a client error
// on every backend, and nothing is stored.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70)
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{}, be.deps(t), false)
			for _, c := range []struct {
				name, body string
				status     int
				field      string
			}{
				{"duplicate top-level key", `{"type":"noop","type":"sleep"}`, 400, ""},
				{"duplicate key in metadata", `{"type":"noop","metadata":{"a":1,"a":2}}`, 400, ""},
				{"duplicate key deep in metadata", `{"type":"noop","metadata":{"x":[{"k":1,"k":1}]}}`, 400, ""},
				{"field name in another case", `{"Type":"noop"}`, 400, ""},
				{"field name in upper case", `{"type":"noop","METADATA":{}}`, 400, ""},
				{"NUL in type", `{"type":"no\u0000op"}`, 422, "type"},
				{"NUL in metadata value", `{"type":"noop","metadata":{"a":"x\u0000"}}`, 422, "metadata"},
				{"NUL in nested metadata value", `{"type":"noop","metadata":{"a":[{"b":"\u0000"}]}}`, 422, "metadata"},
				{"NUL in metadata key", `{"type":"noop","metadata":{"a\u0000":1}}`, 400, ""},
				{"NUL in idempotent description", `{"type":"noop","description":"\u0000"}`, 422, "description"},
				{"invalid UTF-8", "{\"type\":\"noop\",\"description\":\"\xff\xfe\"}", 400, ""},
				{"deep nesting", `{"type":"noop","metadata":` + deep + `}`, 400, ""},
			} {
				w := b.admin(req{method: "POST", path: "/api/tasks", body: c.body})
				require.Equal(t, c.status, w.Code, "%s: %s", c.name, w.Body.String())
				if c.field != "" {
					require.Contains(t, w.Body.String(), `"field":"`+c.field+`"`, c.name)
				}
			}
			// An escaped backslash followed by u0000 is six printable
			// characters, not NUL: accepted.
			w := b.admin(req{method: "POST", path: "/api/tasks", body: `{"type":"noop","metadata":{"a":"\\u0000"}}`})
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			tk := decode[*taskq.Task](t, w)
			require.Equal(t, `\u0000`, tk.Metadata["a"])

			w = b.admin(req{method: "GET", path: "/api/tasks"})
			require.Equal(t, http.StatusOK, w.Code)
			require.Len(t, decode[map[string][]any](t, w)["tasks"], 1, "only the valid task was stored")
		})
	}
}

// TestContentTypeRequired: a body not declared as JSON is 415; an empty
// body needs no Content-Type.
func TestContentTypeRequired(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, Deps{}, false)
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/jsonx"} {
		w := b.do(req{method: "POST", path: "/api/tasks", body: `{"type":"noop"}`, key: testAdminKey, header: map[string]string{"Content-Type": ct}})
		require.Equal(t, http.StatusUnsupportedMediaType, w.Code, "%q: %s", ct, w.Body.String())
		require.Contains(t, w.Body.String(), `"code":"invalid_input"`)
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; charset=UTF-8"} {
		w := b.do(req{method: "POST", path: "/api/tasks", body: `{"type":"noop"}`, key: testAdminKey, header: map[string]string{"Content-Type": ct}})
		require.Equal(t, http.StatusCreated, w.Code, "%q: %s", ct, w.Body.String())
	}
	w := b.admin(req{method: "POST", path: "/api/dlq/cleanup"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
}
