package auth

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds the X-Forwarded-For entries ClientIP examines.
const maxForwardedHops = 64

// ClientIP returns the address of the client of r: the socket peer
// (r.RemoteAddr), unless the peer is within trustedProxies; then
// X-Forwarded-For is walked from the right, skipping trusted proxies, and
// the first untrusted address is the client. Without trusted proxies
// X-Forwarded-For is ignored, so it cannot be spoofed. An entry that does
// not parse ends the walk at the last valid hop. The result is unmapped
// (IPv4 in IPv6 becomes IPv4) and zoneless; it is the zero Addr
// (!IsValid()) when RemoteAddr does not parse.
func ClientIP(r *http.Request, trustedProxies []netip.Prefix) netip.Addr {
	peer, ok := parseHost(r.RemoteAddr)
	if !ok {
		return netip.Addr{}
	}
	if !trusted(peer, trustedProxies) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	client := peer
	seen := 0
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			if seen++; seen > maxForwardedHops {
				return client
			}
			a, ok := parseHost(strings.TrimSpace(parts[j]))
			if !ok {
				return client
			}
			client = a
			if !trusted(a, trustedProxies) {
				return a
			}
		}
	}
	return client
}

// parseHost parses "addr", "addr:port" or "[addr]:port" to a normalized
// address.
func parseHost(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

func trusted(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(a) || (p.Addr().Is4In6() && unmapPrefix(p).Contains(a)) {
			return true
		}
	}
	return false
}

// ParsePrefixes parses a comma-separated list of CIDRs or single addresses
// (TASKQ_DENY_CIDRS, TASKQ_TRUSTED_PROXIES); blanks are skipped. A single
// address becomes a /32 or /128; prefixes are masked.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("auth: bad CIDR %q: %w", f, err)
			}
			out = append(out, unmapPrefix(p).Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("auth: bad address %q: %w", f, err)
		}
		a = a.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
