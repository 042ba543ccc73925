package worker_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/breaker"
	"github.com/taskq/taskq/metrics"
	"github.com/taskq/taskq/worker"
)

// TestBreakerOutageDoesNotBurnRetries: a dependency on loopback fails for a
// while; its breaker trips once, no task reaches the DLQ, and every task
// completes after recovery.
func TestBreakerOutageDoesNotBurnRetries(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	down.Store(true)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	promReg := prometheus.NewRegistry()
	m, err := metrics.New(promReg, metrics.Config{Breakers: []string{"dep"}, TaskTypes: []string{"call"}})
	require.NoError(t, err)
	reg := breaker.NewRegistry(breaker.RegistryConfig{
		Default:  breaker.Config{FailureThreshold: 3, Delay: 400 * time.Millisecond},
		Observer: breakerMetrics{m},
	})
	cfg := fastConfig()
	cfg.Breakers = reg
	b := setup(t, cfg)
	b.worker.Configure("call", worker.TypeConfig{Dependencies: []string{"dep"}})
	b.worker.HandleFunc("call", func(ctx context.Context, _ *taskq.Task) (any, error) {
		return nil, reg.Do(ctx, "dep", func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			if err != nil {
				return err
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			return breaker.CheckResponse(resp)
		})
	})
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		tk, err := b.client.Enqueue(context.Background(), "call", nil, taskq.WithMaxRetries(2))
		require.NoError(t, err)
		ids[i] = tk.ID
	}
	b.start(t)
	waitFor(t, 5*time.Second, "breaker to open", func() bool { return reg.Get("dep").State() == breaker.Open })
	time.Sleep(100 * time.Millisecond) // the outage goes on a little while the breaker is open
	require.Zero(t, mustDLQSize(t, b), "no task reaches the DLQ during the outage")
	down.Store(false)
	for _, id := range ids {
		got := waitStatus(t, b, id, taskq.StatusCompleted, 10*time.Second)
		require.LessOrEqual(t, got.RetryCount, 1, "at most the calls that tripped the breaker used a retry")
	}
	require.EqualValues(t, 1, reg.Get("dep").Trips(), "the breaker tripped once")
	require.NoError(t, testutil.GatherAndCompare(promReg, strings.NewReader(`
# HELP circuit_breaker_trips_total Transitions of a circuit breaker to open, by breaker.
# TYPE circuit_breaker_trips_total counter
circuit_breaker_trips_total{breaker="dep"} 1
`), "circuit_breaker_trips_total"), "metrics show the trip")
	require.Zero(t, mustDLQSize(t, b))
	require.Less(t, hits.Load(), int32(n+8), "calls stopped while the breaker was open")
}

// breakerMetrics feeds breaker events to the metrics.
type breakerMetrics struct{ m *metrics.Metrics }

func (b breakerMetrics) BreakerState(name string, s breaker.State) { b.m.BreakerState(name, int(s)) }
func (b breakerMetrics) BreakerTrip(name string)                   { b.m.BreakerTrip(name) }

func mustDLQSize(t *testing.T, b *bundle) int {
	t.Helper()
	n, err := b.store.CountDeadLetterTasks(context.Background())
	require.NoError(t, err)
	return n
}
