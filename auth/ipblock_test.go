package auth_test

import (
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq/auth"
	"github.com/taskq/taskq/internal/testclock"
)

func newGuard(t *testing.T, cfg auth.IPGuardConfig) (*auth.IPGuard, *testclock.Clock) {
	t.Helper()
	clock := newClock()
	cfg.Now = clock.Now
	g, err := auth.NewIPGuard(cfg)
	require.NoError(t, err)
	return g, clock
}

func TestIPGuardBlocksAfterThreshold(t *testing.T) {
	t.Parallel()
	g, clock := newGuard(t, auth.IPGuardConfig{})
	ip := netip.MustParseAddr("198.51.100.7")
	other := netip.MustParseAddr("198.51.100.8")
	for i := range 9 {
		blocked, _ := g.RecordFailure(ip)
		require.False(t, blocked, "failure %d", i+1)
		clock.Advance(time.Second)
	}
	blocked, _ := g.Blocked(ip)
	require.False(t, blocked)

	blocked, retry := g.RecordFailure(ip)
	require.True(t, blocked)
	require.Equal(t, 15*time.Minute, retry)
	blocked, retry = g.Blocked(ip)
	require.True(t, blocked)
	require.Equal(t, 15*time.Minute, retry)
	blocked, _ = g.Blocked(other)
	require.False(t, blocked, "other addresses are not affected")
	blocked, _ = g.Blocked(netip.MustParseAddr("::ffff:198.51.100.7"))
	require.True(t, blocked, "IPv4-mapped is the same client")

	clock.Advance(10 * time.Minute)
	blocked, retry = g.Blocked(ip)
	require.True(t, blocked)
	require.Equal(t, 5*time.Minute, retry)
	blocked, retry = g.RecordFailure(ip)
	require.True(t, blocked, "failures while blocked do not extend the block")
	require.Equal(t, 5*time.Minute, retry)

	clock.Advance(5 * time.Minute)
	blocked, retry = g.Blocked(ip)
	require.False(t, blocked)
	require.Zero(t, retry)
	// The count starts over after a block.
	blocked, _ = g.RecordFailure(ip)
	require.False(t, blocked)
}

func TestIPGuardSlidingWindow(t *testing.T) {
	t.Parallel()
	g, clock := newGuard(t, auth.IPGuardConfig{FailLimit: 3, Window: time.Minute, BlockFor: time.Hour})
	ip := netip.MustParseAddr("203.0.113.1")
	g.RecordFailure(ip) // t=0
	clock.Advance(40 * time.Second)
	g.RecordFailure(ip) // t=40
	clock.Advance(21 * time.Second)
	blocked, _ := g.RecordFailure(ip) // t=61: the first has left the window
	require.False(t, blocked)
	clock.Advance(10 * time.Second)
	blocked, retry := g.RecordFailure(ip) // t=71: three within 60s
	require.True(t, blocked)
	require.Equal(t, time.Hour, retry)
}

func TestIPGuardIPv6Grouping(t *testing.T) {
	t.Parallel()
	g, _ := newGuard(t, auth.IPGuardConfig{FailLimit: 3})
	for i := range 3 {
		g.RecordFailure(netip.MustParseAddr("2001:db8:1:2::" + strconv.Itoa(i+1)))
	}
	blocked, _ := g.Blocked(netip.MustParseAddr("2001:db8:1:2:ffff::9"))
	require.True(t, blocked, "one /64 is one client")
	blocked, _ = g.Blocked(netip.MustParseAddr("2001:db8:1:3::1"))
	require.False(t, blocked)

	exact, _ := newGuard(t, auth.IPGuardConfig{FailLimit: 2, IPv6Prefix: 128})
	exact.RecordFailure(netip.MustParseAddr("2001:db8::1"))
	exact.RecordFailure(netip.MustParseAddr("2001:db8::2"))
	blocked, _ = exact.Blocked(netip.MustParseAddr("2001:db8::1"))
	require.False(t, blocked)

	exact.Unblock(netip.MustParseAddr("2001:db8::1"))
	require.Equal(t, 1, exact.Len())
	_, err := auth.NewIPGuard(auth.IPGuardConfig{IPv6Prefix: 129})
	require.Error(t, err)
}

func TestIPGuardUnblockAndInvalid(t *testing.T) {
	t.Parallel()
	g, _ := newGuard(t, auth.IPGuardConfig{FailLimit: 1})
	ip := netip.MustParseAddr("192.0.2.1")
	blocked, _ := g.RecordFailure(ip)
	require.True(t, blocked)
	g.Unblock(ip)
	blocked, _ = g.Blocked(ip)
	require.False(t, blocked)

	blocked, _ = g.RecordFailure(netip.Addr{})
	require.False(t, blocked)
	blocked, _ = g.Blocked(netip.Addr{})
	require.False(t, blocked)
	require.False(t, g.Denied(netip.Addr{}))
}

func TestIPGuardDenyList(t *testing.T) {
	t.Parallel()
	deny, err := auth.ParsePrefixes(" 10.0.0.0/8, 2001:db8::/32,192.0.2.7 ,, ::ffff:203.0.113.0/120")
	require.NoError(t, err)
	require.Len(t, deny, 4)
	g, _ := newGuard(t, auth.IPGuardConfig{Deny: deny})
	for addr, want := range map[string]bool{
		"10.1.2.3":             true,
		"::ffff:10.1.2.3":      true,
		"11.0.0.1":             false,
		"2001:db8:ffff::1":     true,
		"2001:db9::1":          false,
		"192.0.2.7":            true,
		"192.0.2.8":            false,
		"203.0.113.200":        true,
		"fe80::1%eth0":         false,
		"2001:db8::1%eth0":     true,
		"::ffff:203.0.114.1":   false,
		"::ffff:192.0.2.7":     true,
		"0.0.0.0":              false,
		"2001:db8:0:0:0:0:0:1": true,
	} {
		require.Equal(t, want, g.Denied(netip.MustParseAddr(addr)), addr)
	}

	for _, bad := range []string{"10.0.0.0/33", "not-an-ip", "10.0.0.1/8/2", "1.2.3"} {
		_, err := auth.ParsePrefixes(bad)
		require.Error(t, err, bad)
	}
	none, err := auth.ParsePrefixes("")
	require.NoError(t, err)
	require.Empty(t, none)
	_, err = auth.NewIPGuard(auth.IPGuardConfig{Deny: []netip.Prefix{{}}})
	require.Error(t, err)
}

func TestIPGuardBoundedMemory(t *testing.T) {
	t.Parallel()
	g, clock := newGuard(t, auth.IPGuardConfig{MaxTracked: 64, FailLimit: 2})
	attacker := netip.MustParseAddr("198.51.100.66")
	g.RecordFailure(attacker)
	blocked, _ := g.RecordFailure(attacker)
	require.True(t, blocked)
	for i := range 20_000 {
		g.RecordFailure(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	require.LessOrEqual(t, g.Len(), 64)
	blocked, _ = g.Blocked(attacker)
	require.True(t, blocked, "spraying other addresses does not evict a block")

	clock.Advance(time.Hour)
	blocked, _ = g.Blocked(attacker)
	require.False(t, blocked)
}

func TestClientKeyGroupsIPv6BySlash64(t *testing.T) {
	g, err := auth.NewIPGuard(auth.IPGuardConfig{})
	require.NoError(t, err)
	k := func(s string) string { return g.ClientKey(netip.MustParseAddr(s)) }
	require.Equal(t, "2001:db8:1:2::/64", k("2001:db8:1:2::1"))
	require.Equal(t, k("2001:db8:1:2::1"), k("2001:db8:1:2:ffff:ffff:ffff:ffff"))
	require.Equal(t, k("2001:db8:1:2::1"), k("2001:db8:1:2::1%eth0"))
	require.NotEqual(t, k("2001:db8:1:2::1"), k("2001:db8:1:3::1"))
	require.Equal(t, "192.0.2.1", k("192.0.2.1"))
	require.Equal(t, "192.0.2.1", k("::ffff:192.0.2.1"))
	require.NotEqual(t, k("192.0.2.1"), k("192.0.2.2"))
	require.Empty(t, g.ClientKey(netip.Addr{}))

	single, err := auth.NewIPGuard(auth.IPGuardConfig{IPv6Prefix: 128})
	require.NoError(t, err)
	require.NotEqual(t, single.ClientKey(netip.MustParseAddr("2001:db8::1")), single.ClientKey(netip.MustParseAddr("2001:db8::2")))
}
