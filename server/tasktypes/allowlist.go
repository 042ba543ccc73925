package tasktypes

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// AllowList is the set of hosts the http type may call (TASKQ_HTTP_ALLOW).
// An entry is "host" or "host:port" (an IPv6 address in brackets with a
// port). A bare host allows the default port of the URL's scheme only (80
// for http, 443 for https); any other port must be listed. Host names are
// compared case-insensitively, without a trailing dot. The zero AllowList
// allows nothing.
type AllowList struct {
	entries []allowEntry
}

type allowEntry struct {
	host string // lower case, no trailing dot; an IP in canonical form
	port string // "" = the scheme's default port
}

// ParseAllowList parses entries such as "api.example.com",
// "127.0.0.1:8080" or "[::1]:9000"; blank entries are skipped.
func ParseAllowList(entries []string) (AllowList, error) {
	var a AllowList
	for _, raw := range entries {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		e, err := parseEntry(s)
		if err != nil {
			return AllowList{}, fmt.Errorf("tasktypes: allow-list entry %q: %w", s, err)
		}
		a.entries = append(a.entries, e)
	}
	return a, nil
}

func parseEntry(s string) (allowEntry, error) {
	if strings.ContainsAny(s, "/@?#* \t") {
		return allowEntry{}, errors.New("must be host or host:port, without scheme, path, user-info or wildcard")
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, perr := strconv.Atoi(p)
		if perr != nil || n < 1 || n > 65535 {
			return allowEntry{}, errors.New("port must be 1-65535")
		}
		host, port = h, strconv.Itoa(n)
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	host, ok := normHost(host)
	if !ok {
		return allowEntry{}, errors.New("invalid host name")
	}
	return allowEntry{host: host, port: port}, nil
}

// normHost lower-cases a host name and drops one trailing dot; an IP
// address is returned in canonical form. ok is false for an empty or
// malformed name.
func normHost(h string) (string, bool) {
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return "", false
		}
		return a.Unmap().String(), true
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "" || len(h) > 253 {
		return "", false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return "", false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", false
			}
		}
	}
	return h, true
}

// Empty reports whether the list allows nothing.
func (a AllowList) Empty() bool { return len(a.entries) == 0 }

// Hosts returns the distinct host names of the list, in order.
func (a AllowList) Hosts() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range a.entries {
		if !seen[e.host] {
			seen[e.host] = true
			out = append(out, e.host)
		}
	}
	return out
}

// Allows reports whether host (any case, a trailing dot allowed) and port
// are on the list; defaultPorts are the ports a bare-host entry allows.
func (a AllowList) Allows(host, port string, defaultPorts ...string) bool {
	h, ok := normHost(host)
	if !ok {
		return false
	}
	for _, e := range a.entries {
		if e.host != h {
			continue
		}
		if e.port == port {
			return true
		}
		if e.port == "" {
			for _, d := range defaultPorts {
				if d == port {
					return true
				}
			}
		}
	}
	return false
}

// defaultPort returns the default port of an http or https URL scheme.
func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// CheckURL parses raw and checks that it may be called: scheme http or
// https, no user-info, a host on the list with an allowed port. It returns
// the parsed URL, or an error that says what is wrong without echoing the
// URL.
func (a AllowList) CheckURL(raw string) (*url.URL, error) {
	if len(raw) > 4096 {
		return nil, errors.New("is longer than 4096 bytes")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("is not a valid URL")
	}
	return u, a.checkParsed(u)
}

func (a AllowList) checkParsed(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("must use the http or https scheme")
	case u.Opaque != "" || u.Host == "":
		return errors.New("must be an absolute URL with a host")
	case u.User != nil:
		return errors.New("must not carry user-info")
	}
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return errors.New("has an invalid port")
	}
	port = strconv.Itoa(n)
	if !a.Allows(u.Hostname(), port, defaultPort(u.Scheme)) {
		return errors.New("host is not on the allow-list (TASKQ_HTTP_ALLOW)")
	}
	return nil
}
