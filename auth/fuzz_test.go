package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
)

// requireAuthFailure asserts the error contract of every parser failure.
func requireAuthFailure(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, taskq.ErrUnauthorized)
	require.True(t, slices.Contains(auth.Reasons, auth.ReasonOf(err)), "reason %q", auth.ReasonOf(err))
	require.NotEmpty(t, taskq.AsError(err).Message)
}

func FuzzVerify(f *testing.F) {
	clock := newClock()
	iss, err := auth.NewIssuer(auth.JWTConfig{Secret: testSecret, Now: clock.Now})
	require.NoError(f, err)
	ver, err := auth.NewVerifier(auth.JWTConfig{Secret: testSecret, Now: clock.Now})
	require.NoError(f, err)
	good, _, err := iss.Issue("k1", auth.RoleUser)
	require.NoError(f, err)
	parts := strings.Split(good, ".")
	for _, seed := range []string{
		good,
		parts[0] + "." + parts[1] + ".",
		"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".",
		"eyJhbGciOiJIUzI1NiJ9.e30.",
		parts[0] + ".." + parts[2],
		"", ".", "..", "a.b.c", "...",
		`{"payload":"e30","signatures":[{"protected":"eyJhbGciOiJIUzI1NiJ9","signature":""}]}`,
		strings.Repeat("A", 100) + "." + strings.Repeat("B", 100) + "." + strings.Repeat("C", 43),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := ver.Verify(token)
		if err != nil {
			requireAuthFailure(t, err)
			require.Zero(t, p)
			return
		}
		// Nobody can forge the HMAC: any accepted token carries the claims
		// of the one token issued.
		require.Equal(t, auth.Principal{ID: "k1", Role: auth.RoleUser, KeyID: "k1"}, p)
	})
}

func FuzzAuthenticateAPIKey(f *testing.F) {
	ctx := context.Background()
	store := auth.NewMemoryKeyStore()
	keys, err := auth.NewKeys(store, auth.KeysConfig{AdminKey: testAdminKey, Now: time.Now})
	require.NoError(f, err)
	k, secret, err := keys.Create(ctx, "fuzz", auth.RoleUser, nil)
	require.NoError(f, err)
	other, _ := auth.GenerateAPIKey()
	for _, seed := range []string{
		secret, testAdminKey, other, "", "tq_", "tq_" + strings.Repeat("A", 43), secret[:len(secret)-1],
		secret + " ", strings.ToUpper(secret), "tq_" + strings.Repeat("/", 43), "\x00", testAdminKey[:len(testAdminKey)-1],
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		p, err := keys.Authenticate(ctx, key)
		switch {
		case key == secret:
			require.NoError(t, err)
			require.Equal(t, auth.Principal{ID: k.ID, Role: auth.RoleUser, KeyID: k.ID}, p)
		case key == testAdminKey:
			require.NoError(t, err)
			require.Equal(t, auth.Principal{ID: "admin", Role: auth.RoleAdmin}, p)
		default:
			requireAuthFailure(t, err)
			require.Zero(t, p)
		}
	})
}

func FuzzClientIP(f *testing.F) {
	trusted, err := auth.ParsePrefixes("10.0.0.0/8, fd00::/8, ::ffff:172.16.0.0/108")
	require.NoError(f, err)
	for _, seed := range [][2]string{
		{"203.0.113.9:1234", ""},
		{"10.0.0.1:80", "1.2.3.4, 198.51.100.7"},
		{"10.0.0.1:80", "garbage, 10.0.0.2"},
		{"[fd00::1]:443", "[2001:db8::5]:443, fd00::2"},
		{"[::ffff:10.0.0.1]:80", "::ffff:192.0.2.1"},
		{"[fe80::1%eth0]:80", "fe80::2%lo"},
		{"not-an-address", "1.2.3.4"},
		{"10.0.0.1:80", strings.Repeat("10.0.0.9,", 100)},
		{"172.16.0.1:1", ",,,"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		plain := httptest.NewRequest(http.MethodGet, "/", nil)
		plain.RemoteAddr = remote
		peer := auth.ClientIP(plain, nil)
		r := plain.Clone(context.Background())
		r.Header.Set("X-Forwarded-For", xff)

		// Without trusted proxies X-Forwarded-For never matters.
		require.Equal(t, peer, auth.ClientIP(r, nil))

		got := auth.ClientIP(r, trusted)
		require.Equal(t, peer.IsValid(), got.IsValid())
		if !got.IsValid() {
			return
		}
		require.False(t, got.Is4In6(), "results are unmapped")
		require.Empty(t, got.Zone(), "results are zoneless")
		if got == peer {
			return
		}
		// Otherwise the result is one of the forwarded entries, and the
		// peer was trusted.
		require.True(t, containsPrefix(trusted, peer))
		found := false
		for _, e := range strings.Split(xff, ",") {
			e = strings.TrimSpace(e)
			if a, err := netip.ParseAddr(e); err == nil && a.Unmap().WithZone("") == got {
				found = true
			} else if ap, err := netip.ParseAddrPort(e); err == nil && ap.Addr().Unmap().WithZone("") == got {
				found = true
			}
		}
		require.True(t, found, "%v not among %q", got, xff)
	})
}

func containsPrefix(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
