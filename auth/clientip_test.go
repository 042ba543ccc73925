package auth_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/auth"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies, err := auth.ParsePrefixes("10.0.0.0/8, fd00::/8")
	require.NoError(t, err)
	cases := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"peer only", "203.0.113.9:1234", nil, nil, "203.0.113.9"},
		{"spoofed XFF without trusted proxies", "203.0.113.9:1234", []string{"1.2.3.4"}, nil, "203.0.113.9"},
		{"spoofed XFF from an untrusted peer", "203.0.113.9:1234", []string{"1.2.3.4"}, proxies, "203.0.113.9"},
		{"one trusted proxy", "10.0.0.1:80", []string{"198.51.100.7"}, proxies, "198.51.100.7"},
		{"client-supplied entry left of the real one", "10.0.0.1:80", []string{"1.2.3.4, 198.51.100.7"}, proxies, "198.51.100.7"},
		{"two trusted proxies", "10.0.0.1:80", []string{"1.2.3.4, 198.51.100.7, 10.0.0.2"}, proxies, "198.51.100.7"},
		{"several headers", "10.0.0.1:80", []string{"1.2.3.4", "198.51.100.7", "10.9.9.9"}, proxies, "198.51.100.7"},
		{"all trusted", "10.0.0.1:80", []string{"10.0.0.3, 10.0.0.2"}, proxies, "10.0.0.3"},
		{"trusted peer without XFF", "10.0.0.1:80", nil, proxies, "10.0.0.1"},
		{"garbage left of client", "10.0.0.1:80", []string{"garbage, 198.51.100.7"}, proxies, "198.51.100.7"},
		{"garbage from a proxy", "10.0.0.1:80", []string{"198.51.100.7, garbage"}, proxies, "10.0.0.1"},
		{"empty entry", "10.0.0.1:80", []string{"198.51.100.7,"}, proxies, "10.0.0.1"},
		{"entry with port", "10.0.0.1:80", []string{"198.51.100.7:5555"}, proxies, "198.51.100.7"},
		{"IPv6 entry with port", "10.0.0.1:80", []string{"[2001:db8::5]:443"}, proxies, "2001:db8::5"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, nil, "2001:db8::1"},
		{"IPv6 trusted proxy", "[fd00::1]:443", []string{"2001:db8::9"}, proxies, "2001:db8::9"},
		{"mapped peer", "[::ffff:192.0.2.1]:80", nil, nil, "192.0.2.1"},
		{"mapped trusted peer", "[::ffff:10.0.0.1]:80", []string{"192.0.2.44"}, proxies, "192.0.2.44"},
		{"zoned peer", "[fe80::1%eth0]:80", nil, nil, "fe80::1"},
		{"peer without port", "192.0.2.3", nil, nil, "192.0.2.3"},
		{"invalid peer", "not-an-address", []string{"1.2.3.4"}, proxies, "invalid IP"},
		{"empty peer", "", nil, nil, "invalid IP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/api/tasks", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			require.Equal(t, tc.want, auth.ClientIP(r, tc.trusted).String())
		})
	}
}
