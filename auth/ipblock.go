package auth

import (
	"errors"
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

// Defaults of IPGuardConfig.
const (
	// DefaultFailLimit is how many failures within the window block.
	DefaultFailLimit = 10
	// DefaultFailWindow is the sliding window of failures.
	DefaultFailWindow = 5 * time.Minute
	// DefaultBlockFor is how long a block lasts.
	DefaultBlockFor = 15 * time.Minute
	// DefaultIPv6Prefix groups IPv6 clients by /64.
	DefaultIPv6Prefix = 64

	ipGuardShards = 16
)

// IPGuardConfig configures an IPGuard. The zero value works.
type IPGuardConfig struct {
	// FailLimit is how many failed authentications within Window block an
	// address; default 10 (TASKQ_AUTH_FAIL_LIMIT).
	FailLimit int
	// Window is the sliding window of failures; default 5m.
	Window time.Duration
	// BlockFor is how long an address stays blocked; default 15m
	// (TASKQ_AUTH_BLOCK).
	BlockFor time.Duration
	// Deny is the static deny list (TASKQ_DENY_CIDRS); see ParsePrefixes.
	Deny []netip.Prefix
	// IPv6Prefix groups IPv6 clients for counting and blocking: one /64 is
	// one client by default, since anyone holding one has all of it. 128
	// tracks single addresses.
	IPv6Prefix int
	// MaxTracked bounds the addresses tracked; default DefaultMaxKeys. When
	// full, addresses that are not blocked are forgotten first.
	MaxTracked int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// IPGuard counts failed authentications per client address in a sliding
// window, blocks addresses past the limit for a period, and answers a
// static CIDR deny list. It keeps state in memory (per process) with
// bounded size and runs no goroutine. It is safe for concurrent use.
type IPGuard struct {
	cfg      IPGuardConfig
	perShard int
	seed     maphash.Seed
	shards   [ipGuardShards]guardShard
}

type guardShard struct {
	mu      sync.Mutex
	entries map[netip.Addr]*guardEntry
}

type guardEntry struct {
	fails        []time.Time // within the window, oldest first, at most FailLimit
	blockedUntil time.Time
}

// NewIPGuard returns an IPGuard.
func NewIPGuard(cfg IPGuardConfig) (*IPGuard, error) {
	if cfg.FailLimit <= 0 {
		cfg.FailLimit = DefaultFailLimit
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultFailWindow
	}
	if cfg.BlockFor <= 0 {
		cfg.BlockFor = DefaultBlockFor
	}
	if cfg.IPv6Prefix == 0 {
		cfg.IPv6Prefix = DefaultIPv6Prefix
	}
	if cfg.IPv6Prefix < 1 || cfg.IPv6Prefix > 128 {
		return nil, errors.New("auth: IPGuardConfig.IPv6Prefix must be within 1..128")
	}
	if cfg.MaxTracked <= 0 {
		cfg.MaxTracked = DefaultMaxKeys
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	deny := make([]netip.Prefix, 0, len(cfg.Deny))
	for _, p := range cfg.Deny {
		if !p.IsValid() {
			return nil, errors.New("auth: IPGuardConfig.Deny holds an invalid prefix")
		}
		deny = append(deny, unmapPrefix(p).Masked())
	}
	cfg.Deny = deny
	g := &IPGuard{cfg: cfg, perShard: max(1, cfg.MaxTracked/ipGuardShards), seed: maphash.MakeSeed()}
	for i := range g.shards {
		g.shards[i].entries = make(map[netip.Addr]*guardEntry)
	}
	return g, nil
}

// Denied reports whether ip is on the static deny list.
func (g *IPGuard) Denied(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap().WithZone("")
	for _, p := range g.cfg.Deny {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// RecordFailure counts a failed authentication from ip and reports whether
// the address is now blocked, and for how long. An invalid address is
// ignored.
func (g *IPGuard) RecordFailure(ip netip.Addr) (blocked bool, retryAfter time.Duration) {
	key, ok := g.key(ip)
	if !ok {
		return false, 0
	}
	now := g.cfg.Now()
	s := g.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key]
	if e == nil {
		if len(s.entries) >= g.perShard {
			g.evict(s, now)
		}
		e = &guardEntry{}
		s.entries[key] = e
	}
	if now.Before(e.blockedUntil) {
		return true, e.blockedUntil.Sub(now)
	}
	e.trim(now, g.cfg.Window) // fewer than FailLimit remain: reaching it blocks and clears
	e.fails = append(e.fails, now)
	if len(e.fails) >= g.cfg.FailLimit {
		e.fails = nil
		e.blockedUntil = now.Add(g.cfg.BlockFor)
		return true, g.cfg.BlockFor
	}
	return false, 0
}

// Blocked reports whether ip is blocked, and for how much longer.
func (g *IPGuard) Blocked(ip netip.Addr) (bool, time.Duration) {
	key, ok := g.key(ip)
	if !ok {
		return false, 0
	}
	now := g.cfg.Now()
	s := g.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key]
	if e == nil {
		return false, 0
	}
	if now.Before(e.blockedUntil) {
		return true, e.blockedUntil.Sub(now)
	}
	if e.idle(now, g.cfg.Window) {
		delete(s.entries, key)
	}
	return false, 0
}

// Unblock forgets the failures and block of ip (an operator's override).
func (g *IPGuard) Unblock(ip netip.Addr) {
	key, ok := g.key(ip)
	if !ok {
		return
	}
	s := g.shard(key)
	s.mu.Lock()
	delete(s.entries, key)
	s.mu.Unlock()
}

// Len returns how many addresses are tracked.
func (g *IPGuard) Len() int {
	n := 0
	for i := range g.shards {
		s := &g.shards[i]
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}

// ClientKey returns the key that identifies the client at ip for
// counting and limiting: the address unmapped and zoneless, an IPv6
// address reduced to its IPv6Prefix (/64 by default) so that a client
// rotating addresses within its prefix stays one client. It is "" for the
// zero Addr. Use it wherever a client address keys a limit, so that every
// limit groups clients as the block does.
func (g *IPGuard) ClientKey(ip netip.Addr) string {
	key, ok := g.key(ip)
	if !ok {
		return ""
	}
	if key.Is6() && g.cfg.IPv6Prefix < 128 {
		return netip.PrefixFrom(key, g.cfg.IPv6Prefix).String()
	}
	return key.String()
}

// key normalizes ip: IPv4-mapped IPv6 to IPv4, no zone, IPv6 grouped by
// the configured prefix.
func (g *IPGuard) key(ip netip.Addr) (netip.Addr, bool) {
	if !ip.IsValid() {
		return netip.Addr{}, false
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() && g.cfg.IPv6Prefix < 128 {
		p, err := ip.Prefix(g.cfg.IPv6Prefix)
		if err != nil {
			return netip.Addr{}, false
		}
		ip = p.Addr()
	}
	return ip, true
}

func (g *IPGuard) shard(key netip.Addr) *guardShard {
	b := key.As16()
	return &g.shards[maphash.Bytes(g.seed, b[:])%ipGuardShards]
}

// evict makes room in a full shard: idle entries go first, then entries
// that are not blocked, then (all blocked) the one whose block ends first.
func (g *IPGuard) evict(s *guardShard, now time.Time) {
	for k, e := range s.entries {
		if e.idle(now, g.cfg.Window) {
			delete(s.entries, k)
		}
	}
	if len(s.entries) < g.perShard {
		return
	}
	var victim netip.Addr
	var until time.Time
	for k, e := range s.entries {
		if !now.Before(e.blockedUntil) {
			delete(s.entries, k)
			return
		}
		if !victim.IsValid() || e.blockedUntil.Before(until) {
			victim, until = k, e.blockedUntil
		}
	}
	delete(s.entries, victim)
}

// trim drops failures older than the window.
func (e *guardEntry) trim(now time.Time, window time.Duration) {
	cut := 0
	for cut < len(e.fails) && now.Sub(e.fails[cut]) >= window {
		cut++
	}
	e.fails = e.fails[cut:]
}

// idle reports whether the entry holds nothing in force at now.
func (e *guardEntry) idle(now time.Time, window time.Duration) bool {
	if now.Before(e.blockedUntil) {
		return false
	}
	return len(e.fails) == 0 || now.Sub(e.fails[len(e.fails)-1]) >= window
}

func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}
