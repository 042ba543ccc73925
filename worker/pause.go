package worker

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/taskq/taskq"
)

// pauseRefresh is how long the worker trusts its copy of the paused
// queues: a pause or resume takes effect within about this long.
const pauseRefresh = time.Second

// pauseCache caches the storage's paused queues (taskq.QueuePauser).
type pauseCache struct {
	p      taskq.QueuePauser // nil: the storage cannot pause queues
	mu     sync.Mutex
	at     time.Time
	paused []string
}

// isPaused reports whether queue is paused, refreshing the set when it
// is older than pauseRefresh. When the storage cannot be read the last
// known set stands (a fresh worker assumes nothing is paused).
func (c *pauseCache) isPaused(ctx context.Context, queue string) bool {
	if c.p == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) >= pauseRefresh {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		paused, err := c.p.PausedQueues(qctx)
		cancel()
		c.at = time.Now()
		if err == nil {
			c.paused = paused
		}
	}
	return slices.Contains(c.paused, queue)
}
