package server

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/taskq/taskq"
)

// net/http accepts a request carrying both Content-Length and
// Transfer-Encoding: chunked (the chunked framing wins) and removes
// Content-Length before any handler sees it. Such a request is a request
// smuggling attempt through a proxy that frames by Content-Length, so the
// server refuses it: the connection watches the header blocks it reads,
// and a connection that sent one with both fields has its requests
// answered 400 and is closed.

// headerScan follows the bytes of one connection and flags a header
// block (the lines up to an empty line) holding both Content-Length and
// Transfer-Encoding. Body bytes may look like header lines: that can only
// flag the sender's own connection.
type headerScan struct {
	line    [24]byte // the start of the current line, lower-cased
	n       int      // bytes of the current line seen (may exceed len(line))
	sawCL   bool
	sawTE   bool
	flagged atomic.Bool
}

const (
	prefixCL = "content-length:"
	prefixTE = "transfer-encoding:"
)

// feed scans b.
func (h *headerScan) feed(b []byte) {
	for _, c := range b {
		if c == '\n' {
			h.endLine()
			continue
		}
		if h.n < len(h.line) {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			h.line[h.n] = c
		}
		h.n++
	}
}

func (h *headerScan) endLine() {
	n := h.n
	h.n = 0
	if n == 0 || n == 1 && h.line[0] == '\r' { // an empty line ends a block
		if h.sawCL && h.sawTE {
			h.flagged.Store(true)
		}
		h.sawCL, h.sawTE = false, false
		return
	}
	l := string(h.line[:min(n, len(h.line))])
	switch {
	case len(l) >= len(prefixCL) && l[:len(prefixCL)] == prefixCL:
		h.sawCL = true
	case len(l) >= len(prefixTE) && l[:len(prefixTE)] == prefixTE:
		h.sawTE = true
	}
}

// scannedConn feeds what it reads to its headerScan.
type scannedConn interface {
	net.Conn
	smuggled() bool
}

type connCtxKey struct{}

// connContext puts the connection into the context of its requests
// (http.Server.ConnContext).
func connContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn() // the scan sees ciphertext there: see withSmuggleGuard
	}
	if sc, ok := c.(scannedConn); ok {
		return context.WithValue(ctx, connCtxKey{}, sc)
	}
	return ctx
}

// withSmuggleGuard answers 400 and closes the connection when it sent a
// header block with both Content-Length and Transfer-Encoding. Over TLS
// the guard does not apply (net/http's framing, chunked wins, holds there,
// and HTTP/2 forbids Transfer-Encoding).
func (s *Server) withSmuggleGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			if sc, ok := r.Context().Value(connCtxKey{}).(scannedConn); ok && sc.smuggled() {
				w.Header().Set("Connection", "close")
				s.writeError(w, r, apiError(taskq.CodeInvalidInput, "a request must not carry both Content-Length and Transfer-Encoding"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
