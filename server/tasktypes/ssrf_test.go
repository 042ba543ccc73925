package tasktypes

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// stubResolver answers from a fixed table and never asks DNS.
type stubResolver map[string][]string

func (r stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	ss, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out, nil
}

// dialRecorder records the addresses dialed and connects nowhere.
type dialRecorder struct {
	mu    sync.Mutex
	addrs []string
}

var errRecorded = errors.New("dial recorded, not connected")

func (d *dialRecorder) dial(_ context.Context, _, addr string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs = append(d.addrs, addr)
	return nil, errRecorded
}

func (d *dialRecorder) dialed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

// guarded returns an http type with the allow-list entries, the stub
// resolver and a recording dialer.
func guarded(t *testing.T, res stubResolver, entries ...string) (Type, *dialRecorder) {
	t.Helper()
	allow, err := ParseAllowList(entries)
	require.NoError(t, err)
	typ, err := NewHTTPType(HTTPConfig{Allow: allow, Resolver: res, Timeout: 5 * time.Second, MaxRedirects: -1})
	require.NoError(t, err)
	rec := &dialRecorder{}
	typ.Handler.(*httpHandler).dial = rec.dial
	return typ, rec
}

func runURL(t *testing.T, typ Type, url string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := typ.Handler.ProcessTask(ctx, &taskq.Task{ID: "t1", Type: HTTP, Metadata: map[string]any{"url": url}})
	return err
}

// internalByClass holds addresses of every internal class, IPv4-mapped
// and other embedded forms included.
var internalByClass = map[string][]string{
	"loopback":       {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"},
	"rfc1918":        {"10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "::ffff:10.1.1.1", "::ffff:192.168.0.1"},
	"cgnat":          {"100.64.0.1", "100.127.255.254", "100.100.100.200", "::ffff:100.64.0.1"},
	"unique-local":   {"fc00::1", "fd12:3456::1"},
	"link-local":     {"169.254.1.1", "fe80::1", "::ffff:169.254.0.5"},
	"metadata":       {"169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "192.0.0.192"},
	"unspecified":    {"0.0.0.0", "::", "0.1.2.3", "::ffff:0.0.0.0"},
	"multicast":      {"224.0.0.1", "239.255.255.250", "ff02::1", "ff05::2", "::ffff:224.0.0.1"},
	"reserved":       {"240.0.0.1", "255.255.255.255", "198.18.0.1"},
	"embedded-ipv4":  {"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2002:c0a8:101::1", "::127.0.0.1"},
	"other-ipv6-res": {"fec0::1", "2001:db8::1", "2001::1", "100::1"},
}

func TestSSRFNameResolvingInternalIsRefused(t *testing.T) {
	t.Parallel()
	for class, addrs := range internalByClass {
		for _, a := range addrs {
			typ, rec := guarded(t, stubResolver{"svc.example.com": {a}}, "svc.example.com", "svc.example.com:8080")
			for _, u := range []string{"http://svc.example.com/x", "https://svc.example.com/x", "http://svc.example.com:8080/x"} {
				err := runURL(t, typ, u)
				require.Error(t, err, "%s %s %s", class, a, u)
				require.Equal(t, taskq.CodeForbidden, taskq.CodeOf(err), "%s %s: %v", class, a, err)
				require.False(t, taskq.AsError(err).Retryable, "%s %s", class, a)
			}
			require.Empty(t, rec.dialed(), "%s %s was dialed", class, a)
			require.True(t, internalAddr(netip.MustParseAddr(a)), "%s %s", class, a)
		}
	}
}

func TestSSRFLiteralInternalIsRefused(t *testing.T) {
	t.Parallel()
	// A literal address on the list by another port, or a literal that a
	// name entry does not cover, is refused before any dial.
	typ, rec := guarded(t, stubResolver{}, "127.0.0.1:9000", "10.0.0.1:8080")
	for _, u := range []string{"http://127.0.0.1:9001/", "http://10.0.0.1/", "http://[::ffff:127.0.0.1]:9001/", "http://169.254.169.254/latest/meta-data"} {
		err := runURL(t, typ, u)
		require.Error(t, err, u)
		require.False(t, taskq.AsError(err).Retryable, u)
	}
	require.Empty(t, rec.dialed())
}

func TestSSRFMixedAnswerDialsOnlyPublic(t *testing.T) {
	t.Parallel()
	// A name answering an internal and a public address: only the public
	// one is dialed.
	typ, rec := guarded(t, stubResolver{"mixed.example.com": {"127.0.0.1", "10.0.0.1", "93.184.216.34", "fd00:ec2::254"}}, "mixed.example.com")
	err := runURL(t, typ, "http://mixed.example.com/")
	require.Error(t, err)
	require.Equal(t, []string{"93.184.216.34:80"}, rec.dialed())
}

func TestSSRFPublicAddressIsDialed(t *testing.T) {
	t.Parallel()
	typ, rec := guarded(t, stubResolver{"api.example.com": {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"}}, "api.example.com")
	err := runURL(t, typ, "https://api.example.com/")
	require.Error(t, err) // the recorder connects nowhere
	require.True(t, taskq.AsError(err).Retryable, "a dial failure is retryable: %v", err)
	require.Equal(t, []string{"93.184.216.34:443", "[2606:2800:220:1:248:1893:25c8:1946]:443"}, rec.dialed())
}

func TestSSRFExactIPAllowListed(t *testing.T) {
	t.Parallel()
	// The exact internal IP:port on the list lets a name resolving to it,
	// and the literal, through; another port of that IP does not.
	typ, rec := guarded(t, stubResolver{"svc.internal": {"10.0.0.5"}, "lo.internal": {"::ffff:127.0.0.1"}},
		"svc.internal:8080", "10.0.0.5:8080", "lo.internal:9000", "127.0.0.1:9000", "svc.internal")
	require.Error(t, runURL(t, typ, "http://svc.internal:8080/"))
	require.Error(t, runURL(t, typ, "http://10.0.0.5:8080/"))
	require.Error(t, runURL(t, typ, "http://lo.internal:9000/"))
	err := runURL(t, typ, "http://svc.internal/") // port 80: 10.0.0.5:80 is not listed
	require.Equal(t, taskq.CodeForbidden, taskq.CodeOf(err), "%v", err)
	require.Equal(t, []string{"10.0.0.5:8080", "10.0.0.5:8080", "127.0.0.1:9000"}, rec.dialed())
}

func TestSSRFPublicAddressesAreNotInternal(t *testing.T) {
	t.Parallel()
	for _, a := range []string{"93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.0.1", "172.32.0.1",
		"192.167.1.1", "169.253.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"} {
		require.False(t, internalAddr(netip.MustParseAddr(a)), a)
	}
}
