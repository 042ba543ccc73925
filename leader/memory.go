package leader

import (
	"context"
	"sync"
	"time"
)

// MemoryStore is a Store in process memory, for a single process and for
// tests. The zero value is not usable; call NewMemoryStore.
type MemoryStore struct {
	now    func() time.Time
	mu     sync.Mutex
	leases map[string]*memoryLease
}

type memoryLease struct {
	holder  string
	token   int64
	expires time.Time
}

// NewMemoryStore returns an empty MemoryStore whose clock is now (nil:
// time.Now).
func NewMemoryStore(now func() time.Time) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{now: now, leases: map[string]*memoryLease{}}
}

var _ Store = (*MemoryStore)(nil)

// Acquire implements Store.
func (s *MemoryStore) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (int64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	l := s.leases[name]
	if l == nil {
		l = &memoryLease{}
		s.leases[name] = l
	}
	if l.expires.After(now) {
		return 0, false, nil
	}
	l.token++
	l.holder, l.expires = holder, now.Add(ttl)
	return l.token, true, nil
}

// Renew implements Store.
func (s *MemoryStore) Renew(ctx context.Context, name, holder string, token int64, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	l := s.leases[name]
	if l == nil || l.holder != holder || l.token != token || !l.expires.After(now) {
		return false, nil
	}
	l.expires = now.Add(ttl)
	return true, nil
}

// Release implements Store.
func (s *MemoryStore) Release(ctx context.Context, name, holder string, token int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.leases[name]; l != nil && l.holder == holder && l.token == token {
		l.expires = time.Time{}
	}
	return nil
}
