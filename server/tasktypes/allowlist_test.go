package tasktypes

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseAllowList(t *testing.T) {
	t.Parallel()
	a, err := ParseAllowList([]string{" API.Example.com. ", "", "127.0.0.1:8080", "[::1]:9000", "[::1]"})
	require.NoError(t, err)
	require.Equal(t, []string{"api.example.com", "127.0.0.1", "::1"}, a.Hosts())
	require.False(t, a.Empty())
	require.True(t, AllowList{}.Empty())

	for _, bad := range []string{"http://x.com", "x.com/path", "user@x.com", "*.x.com", "x.com:0", "x.com:70000", "x..com", "fe80::1%eth0", "a b"} {
		_, err := ParseAllowList([]string{bad})
		require.Error(t, err, bad)
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	a, err := ParseAllowList([]string{"api.example.com", "127.0.0.1:8080", "[::1]:9000"})
	require.NoError(t, err)
	cases := []struct {
		url string
		ok  bool
	}{
		{"https://api.example.com/v1", true},
		{"http://api.example.com/v1", true},
		{"https://API.EXAMPLE.COM./v1", true},
		{"https://api.example.com:443/", true},
		{"http://api.example.com:80/", true},
		{"https://api.example.com:8443/", false}, // bare host: default port only
		{"http://api.example.com:443/", false},   // default port of the scheme only
		{"http://127.0.0.1:8080/x", true},
		{"http://127.0.0.1:08080/x", true},
		{"http://127.0.0.1/x", false},
		{"http://127.0.0.1:8081/x", false},
		{"http://[::1]:9000/", true},
		{"http://[::ffff:127.0.0.1]:8080/", true}, // the same address
		{"https://user:pw@api.example.com/", false},
		{"https://api.example.com@evil.com/", false},
		{"ftp://api.example.com/", false},
		{"file:///etc/passwd", false},
		{"gopher://127.0.0.1:8080/", false},
		{"//api.example.com/", false},
		{"api.example.com", false},
		{"https://evil.com/?api.example.com", false},
		{"https://api.example.com.evil.com/", false},
		{"http://2130706433:8080/", false}, // decimal IP tricks are host names, not on the list
		{"http://localhost:8080/", false},
		{"http://169.254.169.254/latest/meta-data", false},
		{"https://api.example.com:0/", false},
		{"mailto:a@api.example.com", false},
		{"https://api.example.com/%zz", false},
	}
	for _, c := range cases {
		_, err := a.CheckURL(c.url)
		if c.ok {
			require.NoError(t, err, c.url)
		} else {
			require.Error(t, err, c.url)
			require.NotContains(t, err.Error(), "evil", "errors must not echo the URL")
		}
	}
	_, err = AllowList{}.CheckURL("https://api.example.com/")
	require.Error(t, err, "the empty list allows nothing")
}
