package tasktypes

import (
	"context"
	"net/netip"
)

// Resolver resolves host names to addresses; *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// internalPrefixes are the address ranges the http type never dials unless
// the exact address is on the allow-list: loopback, private (RFC 1918,
// unique local), shared (CGNAT), link-local (cloud metadata endpoints such
// as 169.254.169.254 and fd00:ec2::254 live in these), unspecified,
// multicast, broadcast, reserved, benchmarking and IPv6 transition forms
// that cannot be checked (IPv4-compatible, Teredo, local NAT64).
var internalPrefixes = mustPrefixes(
	// IPv4
	"0.0.0.0/8",       // "this network", unspecified
	"10.0.0.0/8",      // RFC 1918
	"100.64.0.0/10",   // CGNAT (RFC 6598); Alibaba metadata 100.100.100.200
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local; AWS/GCP/Azure metadata 169.254.169.254
	"172.16.0.0/12",   // RFC 1918
	"192.0.0.0/24",    // IETF protocol assignments (Oracle metadata 192.0.0.192)
	"192.0.2.0/24",    // documentation
	"192.168.0.0/16",  // RFC 1918
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, broadcast
	// IPv6 (IPv4-mapped ::ffff:0:0/96 is unmapped and checked as IPv4)
	"::/96",          // unspecified, loopback, IPv4-compatible (deprecated)
	"64:ff9b:1::/48", // local-use NAT64
	"100::/64",       // discard
	"2001::/32",      // Teredo: the embedded address is obfuscated
	"2001:db8::/32",  // documentation
	"fc00::/7",       // unique local; AWS metadata fd00:ec2::254
	"fe80::/10",      // link-local
	"fec0::/10",      // site-local (deprecated)
	"ff00::/8",       // multicast
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// nat64 and sixToFour embed an IPv4 address, checked as such.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// internalAddr reports whether ip is internal: within internalPrefixes,
// in any of its IPv4-in-IPv6 forms (mapped, NAT64, 6to4) too.
func internalAddr(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.Unmap().WithZone("")
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return internalAddr(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(ip):
		return internalAddr(netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, p := range internalPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
