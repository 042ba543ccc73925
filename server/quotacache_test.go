package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// TestUsageCache: far from a quota requests are admitted from the last
// read; within a tenth of it, after the TTL, for an unknown owner or an
// unknown metadata size, the caller must read the exact usage.
func TestUsageCache(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	var c usageCache
	require.False(t, c.admit("a", 100, 0, 10, now), "nothing read yet")

	c.store("a", taskq.Usage{Pending: 80}, 10, now)
	// 80 read + 1 admitted with the read; the slack is 10: up to 90.
	for i := range 9 {
		require.True(t, c.admit("a", 100, 0, 10, now), "admission %d", i)
	}
	require.False(t, c.admit("a", 100, 0, 10, now), "91 would be within the slack")
	require.False(t, c.admit("b", 100, 0, 10, now), "another owner has its own reads")

	c.store("a", taskq.Usage{Pending: 0}, 10, now)
	require.True(t, c.admit("a", 100, 0, 10, now.Add(quotaCacheTTL-time.Millisecond)))
	require.False(t, c.admit("a", 100, 0, 10, now.Add(quotaCacheTTL)), "the read is too old")
	require.False(t, c.admit("a", 100, 0, 10, now.Add(-time.Second)), "a clock that stepped back")

	// Metadata bytes: quota 1000, slack 100.
	c.store("m", taskq.Usage{MetadataBytes: 500}, 100, now)
	require.True(t, c.admit("m", 0, 1000, 300, now), "500+100+300 <= 900")
	require.False(t, c.admit("m", 0, 1000, 1, now), "900+1 > 900")
	require.False(t, c.admit("m", 0, 1000, -1, now), "an unknown size is never admitted from the cache")
	c.store("p", taskq.Usage{}, 0, now)
	require.True(t, c.admit("p", 100, 0, -1, now), "without a metadata quota the size does not matter")

	// A quota of 1 has a slack of 1: every request reads.
	c.store("one", taskq.Usage{}, 0, now)
	require.False(t, c.admit("one", 1, 0, 0, now))
}
