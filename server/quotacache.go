package server

import (
	"sync"
	"time"

	"github.com/taskq/taskq"
)

const (
	// quotaCacheTTL is how long an owner's usage, as read from the
	// storage, may admit new tasks without another read.
	quotaCacheTTL = time.Second
	// quotaCacheOwners bounds the owners whose usage is kept; past it the
	// cache starts empty again.
	quotaCacheOwners = 10000
	// jsonExpansion bounds how many bytes of JSON one byte of a request
	// body may become once encoded again (a control character escaped as
	// \u00XX).
	jsonExpansion = 6
)

// usageCache spares the quota check a storage read per request while an
// owner is far from its quotas. It keeps each owner's usage as last read
// and what this server admitted since; a request is admitted from the
// cache when the read is younger than quotaCacheTTL and the usage plus
// the admitted plus the request stays within the quota less a slack of a
// tenth of it. Near a quota every request reads the exact counters, so a
// refusal always rests on an exact read. Other servers' admissions are
// not seen for up to quotaCacheTTL: only an owner that creates more than
// a tenth of its quota within that second, through other servers, can
// pass the quota by the excess.
type usageCache struct {
	mu     sync.Mutex
	owners map[string]*cachedUsage
}

type cachedUsage struct {
	read     time.Time
	usage    taskq.Usage
	admitted int64 // tasks admitted from the cache since read
	bytes    int64 // bound on their metadata bytes
}

// admit reports whether a task of owner whose metadata encodes to at most
// mdBound bytes (negative: unknown) is within the quotas by the cache, and
// counts it when it is.
func (c *usageCache) admit(owner string, pending int, metaMax, mdBound int64, now time.Time) bool {
	if mdBound < 0 && metaMax > 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.owners[owner]
	if e == nil || now.Sub(e.read) >= quotaCacheTTL || now.Before(e.read) {
		return false
	}
	if pending > 0 && e.usage.Pending+e.admitted+1 > int64(pending)-slack(int64(pending)) {
		return false
	}
	if metaMax > 0 && e.usage.MetadataBytes+e.bytes+mdBound > metaMax-slack(metaMax) {
		return false
	}
	e.admitted++
	e.bytes += max(mdBound, 0)
	return true
}

// store records an exact read of owner's usage at now, made for a task
// whose metadata is at most mdBytes: that task counts as admitted (if the
// check then refuses it, the cache only errs on the safe side).
func (c *usageCache) store(owner string, u taskq.Usage, mdBytes int64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.owners == nil || len(c.owners) >= quotaCacheOwners {
		c.owners = make(map[string]*cachedUsage)
	}
	c.owners[owner] = &cachedUsage{read: now, usage: u, admitted: 1, bytes: mdBytes}
}

// slack is the part of a quota within which every request reads the
// exact usage: a tenth, at least one.
func slack(quota int64) int64 { return max(quota/10, 1) }
