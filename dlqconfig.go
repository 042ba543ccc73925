package taskq

import "time"

// DeadLetterQueueConfig configures a dead letter queue.
type DeadLetterQueueConfig struct {
	// MaxSize caps the number of entries; moving a task beyond it evicts the
	// oldest entries. Default 10000; negative means unbounded.
	MaxSize int
	// RetentionPeriod is how long entries are kept before the cleanup job
	// purges them. Default 168h (7 days).
	RetentionPeriod time.Duration
	// RetryLimit is how many DLQ retries a task may have; past it a retry
	// is refused with a conflict error. Default 3.
	RetryLimit int
	// Backoff is the delay before a DLQ retry runs, doubled with each DLQ
	// retry of the same task. Default 1s.
	Backoff time.Duration
	// CleanupInterval is how often the retention job runs. Default 1m.
	CleanupInterval time.Duration
}

// Default values of DeadLetterQueueConfig.
const (
	DefaultDLQMaxSize         = 10000
	DefaultDLQRetention       = 7 * 24 * time.Hour
	DefaultDLQRetryLimit      = 3
	DefaultDLQBackoff         = time.Second
	DefaultDLQCleanupInterval = time.Minute
)

// WithDefaults returns c with zero fields set to their defaults.
func (c DeadLetterQueueConfig) WithDefaults() DeadLetterQueueConfig {
	if c.MaxSize == 0 {
		c.MaxSize = DefaultDLQMaxSize
	}
	if c.RetentionPeriod <= 0 {
		c.RetentionPeriod = DefaultDLQRetention
	}
	if c.RetryLimit == 0 {
		c.RetryLimit = DefaultDLQRetryLimit
	}
	if c.Backoff <= 0 {
		c.Backoff = DefaultDLQBackoff
	}
	if c.CleanupInterval <= 0 {
		c.CleanupInterval = DefaultDLQCleanupInterval
	}
	return c
}

// RetryBackoff is the delay before the n-th DLQ retry (n starting at 1):
// Backoff doubled n-1 times, capped at one day.
func (c DeadLetterQueueConfig) RetryBackoff(n int) time.Duration {
	d := c.Backoff
	for i := 1; i < n && d < 24*time.Hour; i++ {
		d *= 2
	}
	return min(d, 24*time.Hour)
}
