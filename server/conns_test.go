package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/auth"
)

// served is a server on a real loopback listener.
type served struct {
	addr string
	lim  *connLimiter
}

// serveCapped runs Serve on 127.0.0.1 with cfg until the test ends.
func serveCapped(t *testing.T, cfg Config) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg.AdminKey = testAdminKey
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	lns := make(chan *connLimiter, 1)
	go func() { done <- serveOn(ctx, cfg, Deps{Worker: fastWorker}, ln, func(l *connLimiter) { lns <- l }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return &served{addr: ln.Addr().String(), lim: <-lns}
}

// dialFrom opens a TCP connection from the loopback address src (the whole
// 127.0.0.0/8 is loopback on Linux: each address is another client).
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// get sends GET /health on c and returns the status code, or 0 when the
// connection was closed without an answer.
func get(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	_, _ = io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// refusedNow reads what a freshly opened connection over a cap is sent
// before any request: the 503.
func refusedNow(t *testing.T, c net.Conn) (int, http.Header, string) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestConnCapPerIP(t *testing.T) {
	t.Parallel()
	s := serveCapped(t, Config{MaxConnsPerIP: 4, MaxConns: 100})
	// Four idle connections from 127.0.0.2 are held open...
	for range 4 {
		dialFrom(t, "127.0.0.2", s.addr)
	}
	waitFor(t, 5*time.Second, func() bool { _, n := s.lim.open("127.0.0.2"); return n == 4 },
		func() string { return "the idle connections were not accepted" })
	// ...the fifth is refused with a 503 in the JSON shape and closed...
	for range 3 {
		c := dialFrom(t, "127.0.0.2", s.addr)
		code, h, body := refusedNow(t, c)
		require.Equal(t, http.StatusServiceUnavailable, code)
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		require.Equal(t, "1", h.Get("Retry-After"))
		require.Contains(t, body, `"code":"service_unavailable"`)
		_, err := c.Read(make([]byte, 1))
		require.ErrorIs(t, err, io.EOF, "closed after the 503")
	}
	// ...while other clients are served.
	for _, src := range []string{"127.0.0.1", "127.0.0.3"} {
		code, _ := get(t, dialFrom(t, src, s.addr))
		require.Equal(t, http.StatusOK, code, src)
	}
}

func TestConnCapTotalAndRelease(t *testing.T) {
	t.Parallel()
	s := serveCapped(t, Config{MaxConnsPerIP: 3, MaxConns: 5})
	var held []net.Conn
	for _, src := range []string{"127.0.0.4", "127.0.0.4", "127.0.0.4", "127.0.0.5", "127.0.0.5"} {
		held = append(held, dialFrom(t, src, s.addr))
	}
	waitFor(t, 5*time.Second, func() bool { total, _ := s.lim.open(""); return total == 5 },
		func() string { return "the connections were not accepted" })
	code, _, _ := refusedNow(t, dialFrom(t, "127.0.0.6", s.addr))
	require.Equal(t, http.StatusServiceUnavailable, code, "the total cap holds for a new client")
	// Closing idle connections frees their slots.
	for _, c := range held[:3] {
		require.NoError(t, c.Close())
	}
	waitFor(t, 5*time.Second, func() bool { total, _ := s.lim.open(""); return total == 2 },
		func() string { return "closed connections were not released" })
	code, body := get(t, dialFrom(t, "127.0.0.6", s.addr))
	require.Equal(t, http.StatusOK, code, body)
}

func TestConnCapIdleTimeout(t *testing.T) {
	t.Parallel()
	s := serveCapped(t, Config{MaxConnsPerIP: 1, IdleTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond})
	c := dialFrom(t, "127.0.0.7", s.addr)
	code, _ := get(t, c) // served, then idle on keep-alive
	require.Equal(t, http.StatusOK, code)
	// The server closes the idle connection by itself, freeing the slot.
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err := c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
	waitFor(t, 5*time.Second, func() bool { _, n := s.lim.open("127.0.0.7"); return n == 0 },
		func() string { return "the idle connection was not released" })
	code, _ = get(t, dialFrom(t, "127.0.0.7", s.addr))
	require.Equal(t, http.StatusOK, code)
}

func TestConnCapTrustedProxyCountsTowardTotalOnly(t *testing.T) {
	t.Parallel()
	s := serveCapped(t, Config{MaxConnsPerIP: 1, MaxConns: 50, TrustedProxies: mustPrefixes(t, "127.0.0.8/32")})
	for range 3 {
		dialFrom(t, "127.0.0.8", s.addr)
	}
	code, body := get(t, dialFrom(t, "127.0.0.8", s.addr))
	require.Equal(t, http.StatusOK, code, body)
	require.False(t, strings.Contains(body, "too many connections"))
}

func mustPrefixes(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	ps, err := auth.ParsePrefixes(s)
	require.NoError(t, err)
	return ps
}
