package metrics

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLeaderIsLeader: leader_is_leader{name} follows Config.Leaders at
// each scrape; without it the family is not exported.
func TestLeaderIsLeader(t *testing.T) {
	t.Parallel()
	require.NotContains(t, setup(t, Config{}).m.FamilyNames(), "leader_is_leader")

	var mu sync.Mutex
	states := map[string]bool{"periodic": false}
	b := setup(t, Config{Leaders: func() map[string]bool {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]bool{}
		for k, v := range states {
			out[k] = v
		}
		return out
	}})
	require.Contains(t, b.m.FamilyNames(), "leader_is_leader")
	require.Equal(t, 0.0, mustValue(t, b.reg, "leader_is_leader", "name", "periodic"))
	mu.Lock()
	states["periodic"], states["maintenance"] = true, false
	mu.Unlock()
	require.Equal(t, 1.0, mustValue(t, b.reg, "leader_is_leader", "name", "periodic"))
	require.Equal(t, 0.0, mustValue(t, b.reg, "leader_is_leader", "name", "maintenance"))
}

// TestQueuePaused: queue_paused{queue} is 1 for the paused queues, 0 for
// the other configured ones, read at each scrape; a failing read skips
// the samples.
func TestQueuePaused(t *testing.T) {
	t.Parallel()
	require.NotContains(t, setup(t, Config{}).m.FamilyNames(), "queue_paused")

	var mu sync.Mutex
	var paused []string
	var fail error
	b := setup(t, Config{Queues: []string{"default", "bulk"}, Paused: func(context.Context) ([]string, error) {
		mu.Lock()
		defer mu.Unlock()
		return paused, fail
	}})
	require.Equal(t, 0.0, mustValue(t, b.reg, "queue_paused", "queue", "bulk"))
	mu.Lock()
	paused = []string{"bulk", "other"}
	mu.Unlock()
	require.Equal(t, 1.0, mustValue(t, b.reg, "queue_paused", "queue", "bulk"))
	require.Equal(t, 0.0, mustValue(t, b.reg, "queue_paused", "queue", "default"))
	require.Equal(t, 1.0, mustValue(t, b.reg, "queue_paused", "queue", "other"), "a paused queue outside Queues is shown too")
	mu.Lock()
	fail = errors.New("storage down")
	mu.Unlock()
	require.Zero(t, countSeries(t, b.reg, "queue_paused"))
}

// TestQuotaExceeded: quota_exceeded_total{limit} is pre-created for the
// default limits and counts refusals.
func TestQuotaExceeded(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{})
	require.Equal(t, 0.0, mustValue(t, b.reg, "quota_exceeded_total", "limit", QuotaPendingTasks))
	require.Equal(t, 0.0, mustValue(t, b.reg, "quota_exceeded_total", "limit", QuotaMetadataBytes))
	b.m.QuotaExceeded(QuotaPendingTasks)
	b.m.QuotaExceeded(QuotaPendingTasks)
	b.m.QuotaExceeded(QuotaMetadataBytes)
	require.Equal(t, 2.0, mustValue(t, b.reg, "quota_exceeded_total", "limit", QuotaPendingTasks))
	require.Equal(t, 1.0, mustValue(t, b.reg, "quota_exceeded_total", "limit", QuotaMetadataBytes))
}
