package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/taskq/taskq"
)

// net/http answers some requests before any handler runs: a malformed
// request line or header (400), headers over MaxHeaderBytes (431), an
// unsupported transfer coding (501) or protocol version (505). It writes
// those straight to the connection as text/plain, in one write of a fixed
// shape. On plain HTTP the connection (limitedConn.Write) recognizes that
// shape and sends instead the same status with the security headers and
// the JSON error body. Under TLS those bytes are encrypted before the
// connection sees them, and net/http's answer goes out as it is, as does
// its plain-text 400 to an HTTP request on a TLS port; docs/security.md
// lists this.

// goErrorHeaders ends the status line of net/http's own error responses.
const goErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// rewriteGoError returns the JSON form of b when b is one of net/http's own
// error responses (a status line, then exactly goErrorHeaders).
func rewriteGoError(b []byte) ([]byte, bool) {
	const proto = "HTTP/1.1 "
	if !bytes.HasPrefix(b, []byte(proto)) || len(b) < len(proto)+3 {
		return nil, false
	}
	i := bytes.Index(b, []byte(goErrorHeaders))
	if i < 0 || bytes.IndexByte(b[:i], '\n') >= 0 {
		return nil, false
	}
	code, err := strconv.Atoi(string(b[len(proto) : len(proto)+3]))
	if err != nil || code < 400 || code > 599 {
		return nil, false
	}
	// The status line is "<code> <text>[: <detail>]"; net/http's details
	// are fixed texts, never request data.
	msg := strings.TrimSpace(string(b[len(proto)+3 : i]))
	if msg == "" || len(msg) > 200 || !taskq.ValidText(msg) {
		msg = http.StatusText(code)
	}
	ec := taskq.CodeInvalidInput
	if code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported {
		ec = taskq.CodeInternal
	}
	body, _ := json.Marshal(errorBody{Error: errorDetail{Code: ec, Message: msg}})
	body = append(body, '\n')
	var out bytes.Buffer
	out.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	out.WriteString("Content-Type: application/json; charset=utf-8\r\n")
	out.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	out.WriteString("Connection: close\r\n")
	for _, h := range securityHeaderList {
		out.WriteString(h.key + ": " + h.value[0] + "\r\n")
	}
	out.WriteString("\r\n")
	out.Write(body)
	return out.Bytes(), true
}

// canonicalPath reports whether p is what http.ServeMux would not
// redirect: rooted, with no empty, "." or ".." segment (a trailing slash
// kept).
func canonicalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// errPathNotCanonical answers a path http.ServeMux would redirect (301 or
// 307, with an HTML body): refused here in the JSON shape instead.
var errPathNotCanonical = &statusError{
	status: http.StatusNotFound,
	err:    apiError(taskq.CodeNotFound, "no such route: the path is not canonical (empty, '.' or '..' segments)"),
}
