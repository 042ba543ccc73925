package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/worker"
)

// skewBackends are the queues that time leases and promotion on the
// server's clock: Redis (TIME) and PostgreSQL (statement_timestamp()).
func skewBackends() []backend {
	return []backend{
		{"redis", func(parent *testing.T) maker {
			url := testenv.StartRedis(parent).URL()
			return func(t *testing.T, cfg worker.Config) *bundle {
				return withRedis(t, url, storage.NewMemory(), cfg)
			}
		}},
		{"postgres-only", func(*testing.T) maker {
			return func(t *testing.T, cfg worker.Config) *bundle {
				return withPostgresOnly(t, cfg)
			}
		}},
	}
}

// TestClockSkew runs producers and workers whose clocks are 5 s ahead of
// or behind the real time on a Redis queue and on the PostgreSQL queue,
// which take their time from the server: an immediate task starts at once
// whatever the producer's clock, and a scheduled task starts when it is
// due by the server's clock (within the wait bound), never early because a
// worker's clock runs ahead.
func TestClockSkew(t *testing.T) {
	t.Parallel()
	for _, be := range skewBackends() {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			mk := be.prepare(t)
			for _, skew := range []time.Duration{5 * time.Second, -5 * time.Second} {
				t.Run(skew.String(), func(t *testing.T) {
					t.Parallel()
					testSkewedPromotion(t, mk, skew)
				})
			}
			t.Run("LiveLeases", func(t *testing.T) {
				t.Parallel()
				testSkewedReapers(t, mk)
			})
		})
	}
}

func testSkewedPromotion(t *testing.T, mk maker, skew time.Duration) {
	skewed := func() time.Time { return time.Now().Add(skew) }
	cfg := fastConfig()
	cfg.Now = skewed
	b := mk(t, cfg)
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
}

// testSkewedReapers runs two workers whose clocks are 5 s ahead and 5 s
// behind, reaping every 30 ms, on one queue with 300 ms leases: a task
// running for three lease TTLs on either of them is never reaped,
// self-fenced or run twice.
func testSkewedReapers(t *testing.T, mk maker) {
	cfg := fastConfig()
	cfg.LeaseTTL = 300 * time.Millisecond
	cfg.Now = func() time.Time { return time.Now().Add(5 * time.Second) }
	b := mk(t, cfg)
	behind := cfg
	behind.Now = func() time.Time { return time.Now().Add(-5 * time.Second) }
	obs := &countingObserver{}
	behind.Observer = obs
	other, err := worker.New(b.store, b.otherQueue(t), behind)
	require.NoError(t, err)
	ctx := context.Background()
	runs := make(chan error, 4)
	handler := func(ctx context.Context, tk *taskq.Task) (any, error) {
		select {
		case <-time.After(3 * cfg.LeaseTTL):
			runs <- nil
			return "done", nil
		case <-ctx.Done():
			runs <- context.Cause(ctx)
			return nil, ctx.Err()
		}
	}
	b.worker.HandleFunc("long", handler)
	other.HandleFunc("long", handler)
	b.start(t)
	require.NoError(t, other.Start(ctx))
	defer func() { require.NoError(t, other.Stop(context.Background())) }()
	tk, err := b.client.Enqueue(ctx, "long", nil)
	require.NoError(t, err)
	require.NoError(t, <-runs, "the handler of a live lease was stopped")
	got := waitStatus(t, b, tk.ID, taskq.StatusCompleted, 10*time.Second)
	require.Equal(t, 1, got.Attempts)
	require.Zero(t, got.RetryCount)
	require.Zero(t, b.obs.recoveredCount(taskq.RecoveredLeaseExpired)+obs.recoveredCount(taskq.RecoveredLeaseExpired), "a live lease was reaped")
}
