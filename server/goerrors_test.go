package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// rawResponse sends raw on a new connection and returns the parsed
// response and its body.
func rawResponse(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	c := dialFrom(t, "127.0.0.1", addr)
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	go func() { _, _ = io.WriteString(c, raw) }() // the server may answer before reading it all
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func requireJSONError(t *testing.T, resp *http.Response, body string, status int, what string) apiErr {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, "%s: %s", what, body)
	require.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"), what)
	for k, v := range securityHeaders {
		require.Equal(t, v, resp.Header.Get(k), "%s: %s", what, k)
	}
	var e apiErr
	require.NoError(t, json.Unmarshal([]byte(body), &e), "%s: %s", what, body)
	require.NotEmpty(t, e.Error.Code, what)
	require.NotEmpty(t, e.Error.Message, what)
	return e
}

func TestGoErrorResponsesAreJSON(t *testing.T) {
	t.Parallel()
	s := serveCapped(t, Config{})
	for _, c := range []struct {
		name, raw string
		status    int
	}{
		{"control byte in header name", "GET /health HTTP/1.1\r\nHost: x\r\nBad\x01Name: v\r\n\r\n", 400},
		{"control byte in header value", "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400},
		{"space before colon", "GET /health HTTP/1.1\r\nHost: x\r\nX-A : v\r\n\r\n", 400},
		{"no Host", "GET /health HTTP/1.1\r\n\r\n", 400},
		{"two Hosts", "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"malformed request line", "GET\r\n\r\n", 400},
		{"bad method token", "G\x01T /health HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"bad Content-Length", "POST /api/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
		{"two Content-Lengths", "POST /api/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
		{"headers too large", "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 200<<10) + "\r\n\r\n", 431},
		{"unsupported transfer coding", "POST /api/tasks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"unsupported version", "GET /health HTTP/3.0\r\nHost: x\r\n\r\n", 505},
	} {
		resp, body := rawResponse(t, s.addr, c.raw)
		requireJSONError(t, resp, body, c.status, c.name)
		require.True(t, resp.Close, "%s: the connection closes", c.name)
	}
	// Ordinary responses pass through untouched.
	resp, body := rawResponse(t, s.addr, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.NotEmpty(t, resp.Header.Get("X-Request-ID"))
}

func TestNonCanonicalPathsAnsweredInJSON(t *testing.T) {
	t.Parallel()
	s := serveCapped(t, Config{})
	b := setup(t, Config{}, Deps{}, false)
	for _, p := range []string{"//api/tasks", "/api//tasks", "/api/tasks/../keys", "/./health", "/health/.", "/api/tasks/x/..", "//", "/health//"} {
		resp, body := rawResponse(t, s.addr, "GET "+p+" HTTP/1.1\r\nHost: x\r\nX-API-Key: "+testAdminKey+"\r\n\r\n")
		e := requireJSONError(t, resp, body, http.StatusNotFound, p)
		require.Equal(t, string(taskq.CodeNotFound), e.Error.Code)
		require.Empty(t, resp.Header.Get("Location"), "%s: no redirect", p)
		require.Equal(t, resp.Header.Get("X-Request-ID"), e.Error.RequestID)

		w := b.admin(req{method: "POST", path: p, body: `{"type":"noop"}`})
		requireError(t, w, http.StatusNotFound, taskq.CodeNotFound)
	}
	for _, p := range []string{"/health", "/api/tasks"} {
		w := b.admin(req{method: "GET", path: p})
		require.Equal(t, http.StatusOK, w.Code, p)
	}
}

func TestRewriteGoErrorLeavesOtherWritesAlone(t *testing.T) {
	t.Parallel()
	for _, b := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nfine",
		"HTTP/1.1 400 Bad Request\r\nDate: x\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\n{}",
		`{"error":"HTTP/1.1 400 Bad Request` + goErrorHeaders + `"}`,
		"HTTP/1.1 4",
		"",
	} {
		_, ok := rewriteGoError([]byte(b))
		require.False(t, ok, "%q", b)
	}
	out, ok := rewriteGoError([]byte("HTTP/1.1 400 Bad Request: missing required Host header" + goErrorHeaders + "400 Bad Request: missing required Host header"))
	require.True(t, ok)
	require.Contains(t, string(out), `"message":"Bad Request: missing required Host header"`)
	require.Contains(t, string(out), "X-Frame-Options: DENY\r\n")
}
