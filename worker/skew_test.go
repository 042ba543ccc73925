package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage"
)

// TestClockSkew runs producers and workers whose clocks are 5 s ahead of
// or behind the real time on one Redis queue, which takes its time from
// the Redis server: an immediate task starts at once whatever the
// producer's clock, and a scheduled task starts when it is due by the
// server's clock (within the wait bound), never early because a worker's
// clock runs ahead.
func TestClockSkew(t *testing.T) {
	t.Parallel()
	url := testenv.StartRedis(t).URL()
	for _, skew := range []time.Duration{5 * time.Second, -5 * time.Second} {
		t.Run(skew.String(), func(t *testing.T) {
			t.Parallel()
			skewed := func() time.Time { return time.Now().Add(skew) }
			cfg := fastConfig()
			cfg.Now = skewed
			b := withRedis(t, url, storage.NewMemory(), cfg)
			started := make(chan time.Time, 4)
			b.worker.HandleFunc("skew", func(ctx context.Context, tk *taskq.Task) (any, error) {
				started <- time.Now()
				return nil, nil
			})
			b.start(t)
			producer, err := taskq.NewClient(b.store, b.queue, taskq.ClientConfig{Now: skewed})
			require.NoError(t, err)
			ctx := context.Background()

			enq := time.Now()
			_, err = producer.Enqueue(ctx, "skew", nil)
			require.NoError(t, err)
			select {
			case at := <-started:
				require.Less(t, at.Sub(enq), 2*time.Second, "an immediate task waited for a skewed clock")
			case <-time.After(10 * time.Second):
				t.Fatal("the immediate task did not start")
			}

			// Scheduled 1.5 s ahead by the real clock.
			due := time.Now().Add(1500 * time.Millisecond)
			_, err = b.client.Enqueue(ctx, "skew", nil, taskq.WithRunAt(due))
			require.NoError(t, err)
			select {
			case at := <-started:
				require.False(t, at.Before(due.Add(-50*time.Millisecond)), "started %s before it was due", due.Sub(at))
				require.Less(t, at.Sub(due), 3*time.Second, "started long after it was due")
			case <-time.After(15 * time.Second):
				t.Fatal("the scheduled task did not start")
			}
		})
	}
}
