package metrics

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

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
