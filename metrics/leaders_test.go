package metrics

import (
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
