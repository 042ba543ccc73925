package worker_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/postgres"
)

// pushClock is a Redis queue that records when each id was pushed (the
// push returned: the entry is in Redis).
type pushClock struct {
	taskq.Queue
	mu   sync.Mutex
	at   map[string]time.Time
	tick chan struct{} // signalled after each push
}

// waitPushed waits until n ids were pushed, at most d.
func (p *pushClock) waitPushed(n int, d time.Duration) bool {
	timeout := time.After(d)
	for {
		p.mu.Lock()
		got := len(p.at)
		p.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-p.tick:
		case <-timeout:
			return false
		}
	}
}

func (p *pushClock) Enqueue(ctx context.Context, q string, entries ...taskq.QueueEntry) error {
	err := p.Queue.Enqueue(ctx, q, entries...)
	if err != nil {
		return err
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range entries {
		if _, seen := p.at[e.ID]; !seen {
			p.at[e.ID] = now
		}
	}
	select {
	case p.tick <- struct{}{}:
	default:
	}
	return nil
}

// BenchmarkTxEnqueueCommitToRedis measures how long a task enqueued inside
// a PostgreSQL transaction takes to reach Redis after its commit: from
// Commit returning to the relay's push returning. Each op is one
// transaction (an order row and its task); producers commit concurrently
// without waiting for the pushes, after 100 warm-up transactions. It reports the latency's p50, p99 and
// max. Run it with
//
//	TASKQ_REQUIRE_INTEGRATION=1 go test -run '^$' -bench TxEnqueueCommitToRedis -benchtime 1000x ./worker/
func BenchmarkTxEnqueueCommitToRedis(b *testing.B) {
	redisURL := testenv.StartRedis(b).URL()
	for _, producers := range []int{1, 8} {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) {
			s := newPostgresStoreTB(b)
			ctx := context.Background()
			rq, err := redisqueue.NewFromURL(redisURL, redisqueue.Config{KeyPrefix: fmt.Sprintf("bench%d", prefixSeq.Add(1))})
			require.NoError(b, err)
			defer rq.Close()
			clock := &pushClock{Queue: rq, at: make(map[string]time.Time, b.N+100), tick: make(chan struct{}, 1)}
			c, err := taskq.NewClient(s, rq, taskq.ClientConfig{})
			require.NoError(b, err)
			enq, err := postgres.NewTxEnqueuer(s, c)
			require.NoError(b, err)
			_, err = s.Pool().Exec(ctx, `CREATE TABLE IF NOT EXISTS public.orders (id text PRIMARY KEY)`)
			require.NoError(b, err)

			rctx, stop := context.WithCancel(ctx)
			relayDone := make(chan struct{})
			go func() {
				defer close(relayDone)
				_ = s.Relay(clock, postgres.RelayConfig{}).Run(rctx)
			}()
			defer func() { stop(); <-relayDone }()
			// produce commits n transactions from the producers and records
			// when each Commit returned.
			produce := func(n int) []map[string]time.Time {
				committed := make([]map[string]time.Time, producers)
				var wg sync.WaitGroup
				for p := range producers {
					k := n / producers
					if p < n%producers {
						k++
					}
					committed[p] = make(map[string]time.Time, k)
					wg.Go(func() {
						for range k {
							tx, err := s.Pool().Begin(ctx)
							if err != nil {
								b.Error(err)
								return
							}
							order := taskq.NewID()
							if _, err := tx.Exec(ctx, `INSERT INTO public.orders (id) VALUES ($1)`, order); err != nil {
								b.Error(err)
								return
							}
							tk, err := enq.EnqueueTx(ctx, tx, "order.placed", map[string]any{"order": order})
							if err != nil {
								b.Error(err)
								return
							}
							if err := tx.Commit(ctx); err != nil {
								b.Error(err)
								return
							}
							committed[p][tk.ID] = time.Now()
						}
					})
				}
				wg.Wait()
				return committed
			}
			// Warm up before the clock starts: the relay listens, and the
			// pool's connections have served (a connection's first
			// statements on a database load its catalog caches and
			// prepare, tens of milliseconds on this machine).
			const warmup = 100
			produce(warmup)
			require.True(b, clock.waitPushed(warmup, 30*time.Second), "warm-up tasks not pushed")

			b.ResetTimer()
			committed := produce(b.N)
			if !clock.waitPushed(warmup+b.N, 60*time.Second) {
				b.Fatalf("not all %d tasks reached Redis within 60s", b.N)
			}
			b.StopTimer()

			clock.mu.Lock()
			defer clock.mu.Unlock()
			lat := make([]time.Duration, 0, b.N)
			for _, m := range committed {
				for id, at := range m {
					// A push may return before Commit does (the relay is
					// notified at commit): that counts as 0.
					lat = append(lat, max(clock.at[id].Sub(at), 0))
				}
			}
			slices.Sort(lat)
			q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
			b.ReportMetric(float64(q(0.50).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(q(0.99).Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
			b.Logf("%d tx enqueues, %d producers: commit to Redis p50 %v p99 %v max %v",
				len(lat), producers, q(0.50), q(0.99), lat[len(lat)-1])
		})
	}
}
