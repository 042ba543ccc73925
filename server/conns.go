package server

import (
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/taskq/taskq/auth"
)

// Defaults of the connection settings.
const (
	// DefaultMaxConns caps the open connections in total (TASKQ_MAX_CONNS).
	DefaultMaxConns = 1024
	// DefaultMaxConnsPerIP caps the open connections of one client
	// address, an IPv6 /64 (TASKQ_MAX_CONNS_PER_IP).
	DefaultMaxConnsPerIP = 32
	// DefaultIdleTimeout closes a keep-alive connection idle that long
	// (TASKQ_IDLE_TIMEOUT).
	DefaultIdleTimeout = 30 * time.Second
	// DefaultReadTimeout bounds reading one request, body included
	// (TASKQ_READ_TIMEOUT).
	DefaultReadTimeout = 20 * time.Second
	// readHeaderTimeout bounds reading one request's headers.
	readHeaderTimeout = 5 * time.Second
	// refuseWriteTimeout bounds writing the 503 of a refused connection.
	refuseWriteTimeout = 100 * time.Millisecond
)

// refusedResponse is what a connection over a cap reads before it is
// closed: a complete HTTP/1.1 503 with the security headers and the JSON
// error shape (no request id: no request was read).
var refusedResponse = func() []byte {
	body := `{"error":{"code":"service_unavailable","message":"too many connections; retry later","request_id":""}}` + "\n"
	return []byte("HTTP/1.1 503 Service Unavailable\r\n" +
		"Content-Type: application/json; charset=utf-8\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n" +
		"Retry-After: 1\r\n" +
		"Connection: close\r\n" +
		"X-Content-Type-Options: nosniff\r\n" +
		"X-Frame-Options: DENY\r\n" +
		"Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n" +
		"Referrer-Policy: no-referrer\r\n" +
		"Cache-Control: no-store\r\n" +
		"\r\n" + body)
}()

// connLimiter wraps a listener: a connection beyond the total cap, or
// beyond the per-client cap of its peer address (grouped as the IP guard
// groups clients), is answered 503 and closed at once, without reaching
// the HTTP server. Peers within the trusted proxies count toward the
// total only: behind a proxy every client shares the proxy's address.
type connLimiter struct {
	net.Listener
	maxTotal, maxPerIP int
	key                func(netip.Addr) string
	trusted            []netip.Prefix
	plain              bool // the refusal may be written (no TLS above)
	onRefuse           func(reason string)

	mu    sync.Mutex
	total int
	perIP map[string]int
}

func newConnLimiter(ln net.Listener, maxTotal, maxPerIP int, guard *auth.IPGuard, trusted []netip.Prefix, plain bool, onRefuse func(string)) *connLimiter {
	return &connLimiter{
		Listener: ln, maxTotal: maxTotal, maxPerIP: maxPerIP, key: guard.ClientKey,
		trusted: trusted, plain: plain, onRefuse: onRefuse, perIP: map[string]int{},
	}
}

// Accept returns the next connection within the caps; refused ones are
// answered and closed here.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := l.peerKey(c)
		if reason := l.acquire(key); reason != "" {
			l.refuse(c, reason)
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.release(key) }}, nil
	}
}

// peerKey is the per-client key of c's peer; "" for a trusted proxy or
// an address that does not parse (counted toward the total only).
func (l *connLimiter) peerKey(c net.Conn) string {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return ""
	}
	a := ap.Addr().Unmap().WithZone("")
	for _, p := range l.trusted {
		if p.Contains(a) {
			return ""
		}
	}
	return l.key(a)
}

func (l *connLimiter) acquire(key string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.maxTotal {
		return "total"
	}
	if key != "" && l.perIP[key] >= l.maxPerIP {
		return "per_ip"
	}
	l.total++
	if key != "" {
		l.perIP[key]++
	}
	return ""
}

func (l *connLimiter) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if key != "" {
		if l.perIP[key]--; l.perIP[key] <= 0 {
			delete(l.perIP, key)
		}
	}
}

// open returns the connections counted in total and for key.
func (l *connLimiter) open(key string) (total, perIP int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.perIP[key]
}

// refuse answers c 503 (plain HTTP only: under TLS nothing readable can be
// written before the handshake) and closes it; the write is bounded so a
// peer that does not read cannot hold the accept loop.
func (l *connLimiter) refuse(c net.Conn, reason string) {
	if l.onRefuse != nil {
		l.onRefuse(reason)
	}
	if l.plain {
		_ = c.SetWriteDeadline(time.Now().Add(refuseWriteTimeout))
		_, _ = c.Write(refusedResponse)
	}
	_ = c.Close()
}

// limitedConn releases its slot once, on the first Close, and scans the
// header blocks it reads (see headerScan).
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
	scan    headerScan
}

func (c *limitedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.scan.feed(b[:n])
	return n, err
}

// Write sends net/http's own error responses in the JSON shape with the
// security headers (see rewriteGoError), everything else as it is.
func (c *limitedConn) Write(b []byte) (int, error) {
	if out, ok := rewriteGoError(b); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

func (c *limitedConn) smuggled() bool { return c.scan.flagged.Load() }

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
