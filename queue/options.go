package queue

import "time"

// MemoryOption configures NewMemory.
type MemoryOption func(*memoryConfig)

type memoryConfig struct {
	now func() time.Time
}

// WithClock makes the Memory read the current time from now instead of
// time.Now, so tests can fix or advance it. LeaseParams.Now still overrides
// it for one Lease. Wait measures its max duration on the real clock but
// computes when scheduled entries come due with now.
func WithClock(now func() time.Time) MemoryOption {
	return func(c *memoryConfig) {
		if now != nil {
			c.now = now
		}
	}
}
