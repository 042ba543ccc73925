package server

import (
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
)

// TestTimeValuesOutOfRange sends times the server could store but never
// serve again (years past 9999 or before 1 once the offset is applied),
// and times too far ahead, in every field and cursor that carries one: each
// is refused with a client error, nothing is stored, and listings keep
// working.
func TestTimeValuesOutOfRange(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{}, be.deps(t), false)
			soon := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			for _, c := range []struct {
				name, body, field string
			}{
				{"run_at year 10000", `{"type":"noop","run_at":"10000-01-01T00:00:00Z"}`, ""},
				{"run_at past 9999 by offset", `{"type":"noop","run_at":"9999-12-31T23:00:00-12:00"}`, "run_at"},
				{"run_at before year 1 by offset", `{"type":"noop","run_at":"0001-01-01T01:00:00+14:00"}`, "run_at"},
				{"run_at year 0", `{"type":"noop","run_at":"0000-06-01T00:00:00Z"}`, "run_at"},
				{"run_at centuries ahead", `{"type":"noop","run_at":"2999-01-01T00:00:00Z"}`, "run_at"},
				{"deadline past 9999 by offset", `{"type":"noop","deadline":"9999-12-31T23:00:00-12:00"}`, "deadline"},
				{"deadline year 0", `{"type":"noop","deadline":"0000-01-01T00:00:00Z","run_at":"` + soon + `"}`, "deadline"},
			} {
				w := b.admin(req{method: "POST", path: "/api/tasks", body: c.body})
				require.Contains(t, []int{http.StatusBadRequest, http.StatusUnprocessableEntity}, w.Code, "%s: %s", c.name, w.Body.String())
				if c.field != "" {
					require.Contains(t, w.Body.String(), `"field":"`+c.field+`"`, c.name)
				}
			}
			w := b.admin(req{method: "GET", path: "/api/tasks"})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.JSONEq(t, `{"tasks":[],"next_cursor":null}`, w.Body.String(), "nothing was stored")

			for _, body := range []string{
				`{"older_than":"10000-01-01T00:00:00Z"}`,
				`{"older_than":"0001-01-01T00:00:00+01:00"}`,
			} {
				requireError(t, b.admin(req{method: "POST", path: "/api/dlq/cleanup", body: body}), http.StatusUnprocessableEntity, taskq.CodeValidation)
			}
			for _, body := range []string{
				`{"name":"x","role":"user","expires_at":"9999-12-31T23:59:59-01:00"}`,
				`{"name":"x","role":"user","expires_at":"0000-01-01T00:00:00Z"}`,
			} {
				w := b.admin(req{method: "POST", path: "/api/keys", body: body})
				require.Contains(t, []int{http.StatusBadRequest, http.StatusUnprocessableEntity}, w.Code, "%s: %s", body, w.Body.String())
			}

			// A DLQ cursor carrying a time out of range, in both storages'
			// encodings, is a bad cursor, not a 500.
			pgCursor := binary.BigEndian.AppendUint64(nil, uint64(1<<62))
			pgCursor = append(pgCursor, make([]byte, 16)...)
			for _, cur := range []string{
				base64.RawURLEncoding.EncodeToString(pgCursor),
				base64.RawURLEncoding.EncodeToString([]byte("999999999999999.0:01a22334-b391-7000-afaf-0478c931d73b")),
				base64.RawURLEncoding.EncodeToString([]byte("-99999999999.0:x")),
			} {
				w := b.admin(req{method: "GET", path: "/api/dlq?cursor=" + url.QueryEscape(cur)})
				require.Less(t, w.Code, 500, "cursor %q: %s", cur, w.Body.String())
				require.GreaterOrEqual(t, w.Code, 400, "cursor %q: %s", cur, w.Body.String())
			}
		})
	}
}
