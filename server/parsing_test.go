package server

import (
	"bufio"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// rawExchange writes raw on a new loopback connection and reads one
// response; with checkClosed it also reports whether the server closed the
// connection after it.
func rawExchange(t *testing.T, addr, raw string, checkClosed bool) (code int, body string, closed bool) {
	t.Helper()
	c := dialFrom(t, "127.0.0.1", addr)
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	_, err := io.WriteString(c, raw)
	require.NoError(t, err)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !checkClosed {
		return resp.StatusCode, string(b), false
	}
	_, err = br.ReadByte()
	return resp.StatusCode, string(b), err != nil
}

func TestContentLengthWithTransferEncodingRefused(t *testing.T) {
	t.Parallel()
	s := serveCapped(t, Config{})
	const body = `{"type":"noop"}`
	chunked := "f\r\n" + body + "\r\n0\r\n\r\n"
	for _, c := range []struct{ name, head string }{
		{"CL then TE", "Content-Length: 15\r\nTransfer-Encoding: chunked\r\n"},
		{"TE then CL", "Transfer-Encoding: chunked\r\nContent-Length: 15\r\n"},
		{"lower case", "content-length: 15\r\ntransfer-encoding: chunked\r\n"},
		{"mixed case", "CONTENT-LENGTH: 15\r\nTransfer-ENCODING: chunked\r\n"},
		{"CL zero", "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"},
	} {
		raw := "POST /api/tasks HTTP/1.1\r\nHost: x\r\nX-API-Key: " + testAdminKey + "\r\nContent-Type: application/json\r\n" + c.head + "\r\n" + chunked
		code, resp, closed := rawExchange(t, s.addr, raw, true)
		require.Equal(t, http.StatusBadRequest, code, "%s: %s", c.name, resp)
		require.Contains(t, resp, "Content-Length and Transfer-Encoding", c.name)
		require.True(t, closed, "%s: the connection is closed", c.name)
	}
	// A GET carrying both is refused too.
	code, _, _ := rawExchange(t, s.addr, "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true)
	require.Equal(t, http.StatusBadRequest, code)

	// Either alone is served, and several requests on one connection too.
	code, resp, _ := rawExchange(t, s.addr, "POST /api/tasks HTTP/1.1\r\nHost: x\r\nX-API-Key: "+testAdminKey+
		"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"+chunked, false)
	require.Equal(t, http.StatusCreated, code, resp)
	conn := dialFrom(t, "127.0.0.1", s.addr)
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	br := bufio.NewReader(conn)
	for range 3 {
		_, err := io.WriteString(conn, "POST /api/tasks HTTP/1.1\r\nHost: x\r\nX-API-Key: "+testAdminKey+
			"\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"+body)
		require.NoError(t, err)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode)
	}
}

// jsonRoutes are the routes that take a JSON body, with a valid body.
var jsonRoutes = []struct{ path, valid string }{
	{"/api/tasks", `{"type":"noop"}`},
	{"/api/keys", `{"name":"k","role":"user"}`},
	{"/api/auth/token", `{"api_key":"` + testAdminKey + `"}`},
	{"/api/dlq/cleanup", `{"older_than":"2000-01-01T00:00:00Z"}`},
}

// TestStrictJSONRoutes: the strict parsing rules on every route with a
// JSON body, several variants of each.
func TestStrictJSONRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{RateLimit: 10000, RateBurst: 10000, AuthRateLimit: 10000}, Deps{}, false)
	bad := map[string][]string{
		"/api/tasks": {
			`{"Type":"noop"}`, `{"TYPE":"noop"}`, `{"type":"noop","Queue":"default"}`, `{"type":"noop","metaData":{}}`,
			`{"type":"noop","type":"sleep"}`,
			`{"type":"noop","metadata":{"a":1,"a":2}}`,
			`{"type":"noop","metadata":{"x":{"y":[{"k":1,"k":1}]}}}`,
			`{"type":"noop","metadata":{"a":1,"\u0061":2}}`,
			`{"type":"no\u0000op"}`,
			`{"type":"noop","description":"a\u0000"}`,
			`{"type":"noop","metadata":{"k\u0000":1}}`,
			`{"type":"noop","metadata":{"x":{"y":["ok","bad\u0000"]}}}`,
			`{"type":"noop","queue":"\u0000"}`,
			"{\"type\":\"noop\",\"description\":\"\xff\xfe\"}",
			"{\"type\":\"noop\",\"metadata\":{\"\xc3\x28\":1}}",
			"{\"type\":\"noop\",\"metadata\":{\"a\":\"\xed\xa0\x80\"}}", // an encoded surrogate is not UTF-8
		},
		"/api/keys":        {`{"Name":"k","role":"user"}`, `{"name":"k","name":"l","role":"user"}`, `{"name":"k\u0000","role":"user"}`},
		"/api/auth/token":  {`{"API_KEY":"x"}`, `{"api_key":"a","api_key":"b"}`, `{"api_key":"x\u0000"}`},
		"/api/dlq/cleanup": {`{"Older_Than":"2000-01-01T00:00:00Z"}`, `{"older_than":"a","older_than":"b"}`, "{\"older_than\":\"\xff\"}"},
	}
	for path, bodies := range bad {
		for _, body := range bodies {
			w := b.admin(req{method: "POST", path: path, body: body})
			// NUL in a field's value is 422 naming the field; the rest 400.
			require.Contains(t, []int{http.StatusBadRequest, http.StatusUnprocessableEntity}, w.Code, "%s %q: %s", path, body, w.Body.String())
		}
	}
	for _, r := range jsonRoutes {
		w := b.admin(req{method: "POST", path: r.path, body: r.valid})
		require.Less(t, w.Code, 300, "%s: %s", r.path, w.Body.String())
	}
	// Exact names, escaped forms of the same name, and repeated keys in
	// different objects are fine.
	for _, body := range []string{
		`{"type":"noop","metadata":{"a":{"k":1},"b":{"k":1}}}`,
		`{"\u0074ype":"noop"}`,
		`{"type":"noop","metadata":{"A":1,"a":2}}`,
	} {
		w := b.admin(req{method: "POST", path: "/api/tasks", body: body})
		require.Equal(t, http.StatusCreated, w.Code, "%s: %s", body, w.Body.String())
	}
}

// TestContentTypeVariants: every route with a JSON body refuses other
// declared types, with a fixed or a chunked length.
func TestContentTypeVariants(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{RateLimit: 10000, RateBurst: 10000, AuthRateLimit: 10000}, Deps{}, false)
	for _, r := range jsonRoutes {
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1",
			"application/json-patch+json", "multipart/form-data; boundary=x", "application/jsonx", "application/json; foo=bar"} {
			hr := newRequestNoLength("POST", r.path, r.valid)
			hr.ContentLength = int64(len(r.valid))
			if ct == "" {
				hr.Header.Del("Content-Type")
			} else {
				hr.Header.Set("Content-Type", ct)
			}
			hr.Header.Set("X-API-Key", testAdminKey)
			w := serve(b, hr)
			requireError(t, w, http.StatusUnsupportedMediaType, taskq.CodeInvalidInput)
		}
		for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; Charset=UTF-8"} {
			w := b.admin(req{method: "POST", path: r.path, body: r.valid, header: map[string]string{"Content-Type": ct}})
			require.Less(t, w.Code, 300, "%s %s: %s", r.path, ct, w.Body.String())
		}
	}
	// A chunked body without a content type is refused too.
	hr := newRequestNoLength("POST", "/api/tasks", `{"type":"noop"}`)
	hr.Header.Del("Content-Type")
	hr.Header.Set("X-API-Key", testAdminKey)
	requireError(t, serve(b, hr), http.StatusUnsupportedMediaType, taskq.CodeInvalidInput)

	// No body needs no content type.
	w := b.admin(req{method: "POST", path: "/api/dlq/cleanup"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = b.admin(req{method: "POST", path: "/api/dlq/cleanup", header: map[string]string{"Content-Type": "text/plain"}})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	requireError(t, b.admin(req{method: "POST", path: "/api/tasks"}), http.StatusBadRequest, taskq.CodeInvalidInput)
}
