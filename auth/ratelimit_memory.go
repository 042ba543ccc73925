package auth

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

const (
	limiterShards = 64
	// DefaultMaxKeys bounds the keys a MemoryLimiter or IPGuard tracks.
	DefaultMaxKeys = 100_000
	sweepEvery     = time.Minute
)

// MemoryLimiterConfig configures a MemoryLimiter. The zero value works.
type MemoryLimiterConfig struct {
	// MaxKeys bounds the keys tracked; default DefaultMaxKeys. When full,
	// idle keys are dropped first, then arbitrary ones (which then start
	// with a full burst).
	MaxKeys int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// MemoryLimiter is a GCRA Limiter for one process: a sharded map of
// theoretical arrival times. Entries of idle keys are swept lazily, so it
// runs no goroutine and needs no Close.
type MemoryLimiter struct {
	now      func() time.Time
	epoch    time.Time
	perShard int
	seed     maphash.Seed
	cursor   atomic.Uint32 // round-robin sweep of other shards
	shards   [limiterShards]limiterShard
}

type limiterShard struct {
	mu        sync.Mutex
	tat       map[string]int64 // ns since epoch
	nextSweep int64
}

// NewMemoryLimiter returns an in-memory Limiter.
func NewMemoryLimiter(cfg MemoryLimiterConfig) *MemoryLimiter {
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &MemoryLimiter{now: cfg.Now, epoch: cfg.Now(), perShard: max(1, cfg.MaxKeys/limiterShards), seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].tat = make(map[string]int64)
	}
	return m
}

var _ Limiter = (*MemoryLimiter)(nil)

// Allow implements Limiter.
func (m *MemoryLimiter) Allow(_ context.Context, key string, limit Limit) (Decision, error) {
	t, b, err := limit.params(time.Nanosecond)
	if err != nil {
		return Decision{}, err
	}
	// Time since the epoch reading keeps the monotonic clock when Now is
	// time.Now, so wall-clock jumps do not disturb the limits.
	now := int64(m.now().Sub(m.epoch))
	s := &m.shards[maphash.String(m.seed, key)%limiterShards]
	// Each call also offers to sweep one other shard (if free and due), so
	// idle keys go away even in shards no longer used.
	if o := &m.shards[m.cursor.Add(1)%limiterShards]; o != s && o.mu.TryLock() {
		o.maybeSweep(now)
		o.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maybeSweep(now)
	tat, known := s.tat[key]
	newTat, d := gcra(tat, now, t, b)
	if d.Allowed {
		if !known && len(s.tat) >= m.perShard {
			s.sweep(now)
			for k := range s.tat {
				if len(s.tat) < m.perShard {
					break
				}
				delete(s.tat, k)
			}
		}
		s.tat[key] = newTat
	}
	return d, nil
}

// maybeSweep sweeps the shard at most once per sweepEvery.
func (s *limiterShard) maybeSweep(now int64) {
	if now >= s.nextSweep {
		s.sweep(now)
		s.nextSweep = now + int64(sweepEvery)
	}
}

// sweep drops keys whose bucket is full again (they equal unknown keys).
func (s *limiterShard) sweep(now int64) {
	for k, tat := range s.tat {
		if tat <= now {
			delete(s.tat, k)
		}
	}
}

// Len returns how many keys are tracked.
func (m *MemoryLimiter) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}
