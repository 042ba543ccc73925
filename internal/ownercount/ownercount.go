// Package ownercount counts events per owner between two reads, for the
// storages' taskq.DeadLetterEvictions.
package ownercount

import "sync"

// maxOwners bounds the distinct owners held between two reads; counts of
// further owners go to Overflow.
const maxOwners = 10000

// Overflow is the owner under which counts beyond maxOwners distinct owners
// are reported.
const Overflow = "~other"

// Counter counts per owner; the zero value is ready. Safe for concurrent
// use.
type Counter struct {
	mu sync.Mutex
	m  map[string]int
}

// Add counts n for owner.
func (c *Counter) Add(owner string, n int) {
	if n <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]int)
	}
	if _, ok := c.m[owner]; !ok && len(c.m) >= maxOwners {
		owner = Overflow
	}
	c.m[owner] += n
}

// Take returns the counts since the previous Take (nil when none) and
// starts anew.
func (c *Counter) Take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.m
	c.m = nil
	return m
}
