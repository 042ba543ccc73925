package periodic_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/leader/pgleader"
	"github.com/taskq/taskq/leader/redisleader"
	"github.com/taskq/taskq/periodic"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/storage/postgres"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// replica is what one process of a deployment brings.
type replica struct {
	store  taskq.StorageAdapter
	leases leader.Store
}

// runReplicas runs three schedulers of a 1s schedule on the replicas'
// backends, stops the leader after a few ticks so another one takes over,
// and checks that the ticks since the first one have exactly one task
// each, none missing.
func runReplicas(t *testing.T, q taskq.Queue, newReplica func(t *testing.T) replica) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var electors []*leader.Elector
	var stops []context.CancelFunc
	var client *taskq.Client
	for range 3 {
		r := newReplica(t)
		cli, err := taskq.NewClient(r.store, q, taskq.ClientConfig{})
		require.NoError(t, err)
		client = cli
		e, err := leader.New(r.leases, leader.Config{Name: "periodic", TTL: time.Second,
			RenewInterval: 300 * time.Millisecond, RetryInterval: 200 * time.Millisecond})
		require.NoError(t, err)
		s, err := periodic.New(periodic.Config{Client: cli, Elector: e, Grace: 3 * time.Second,
			Schedules: []periodic.Schedule{{Name: "beat", Spec: "@every 1s", Type: "beat"}}})
		require.NoError(t, err)
		rctx, stop := context.WithCancel(ctx)
		electors, stops = append(electors, e), append(stops, stop)
		wg.Go(func() { assert.NoError(t, s.Run(rctx)) })
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
		wg.Wait()
	}()

	ticks := func() []time.Time {
		page, err := client.List(ctx, taskq.TaskFilter{Type: "beat", Limit: 1000})
		require.NoError(t, err)
		seen := map[time.Time]bool{}
		var out []time.Time
		for _, task := range page.Tasks {
			at, ok := strings.CutPrefix(task.IdempotencyKey, "periodic:beat:")
			require.True(t, ok, task.IdempotencyKey)
			tick, err := time.Parse(time.RFC3339Nano, at)
			require.NoError(t, err)
			require.False(t, seen[tick], "two tasks for tick %s", tick)
			seen[tick] = true
			out = append(out, tick)
		}
		return out
	}
	leaderIndex := func() int {
		for i, e := range electors {
			if _, ok := e.Leader(); ok {
				return i
			}
		}
		return -1
	}
	waitFor := func(cond func() bool, msg string) {
		t.Helper()
		for !cond() {
			select {
			case <-ctx.Done():
				t.Fatalf("timed out: %s", msg)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	start := time.Now()
	latest := func() time.Time {
		var hi time.Time
		for _, tk := range ticks() {
			if tk.After(hi) {
				hi = tk
			}
		}
		return hi
	}
	waitFor(func() bool { return latest().After(start.Add(2 * time.Second)) }, "two ticks after the start")
	first := leaderIndex()
	require.GreaterOrEqual(t, first, 0)
	stops[first]() // a graceful stop: the lease is released
	waitFor(func() bool { i := leaderIndex(); return i >= 0 && i != first }, "a new leader")
	handover := time.Now()
	waitFor(func() bool { return latest().After(handover.Add(2 * time.Second)) }, "two ticks after the handover")

	got := ticks()
	lo, hi := got[0], got[0]
	for _, tk := range got {
		if tk.Before(lo) {
			lo = tk
		}
		if tk.After(hi) {
			hi = tk
		}
	}
	require.Greater(t, hi.Sub(start), 4*time.Second, "ticks came due while the test ran")
	require.Equal(t, int(hi.Sub(lo)/time.Second)+1, len(got), "one task for every tick from %s to %s: %v", lo, hi, got)
}

func TestReplicasOnRedisElector(t *testing.T) {
	srv := testenv.StartRedis(t)
	mem := storage.NewMemory()
	q := queue.NewMemory()
	t.Cleanup(func() { _ = q.Close() })
	runReplicas(t, q, func(t *testing.T) replica {
		opt, err := rueidis.ParseURL(srv.URL())
		require.NoError(t, err)
		opt.DisableCache = true
		c, err := rueidis.NewClient(opt)
		require.NoError(t, err)
		t.Cleanup(c.Close)
		ls, err := redisleader.New(c, redisleader.Config{})
		require.NoError(t, err)
		return replica{store: mem, leases: ls}
	})
}

func TestReplicasOnPostgres(t *testing.T) {
	pg := testenv.SharedPostgres(t)
	url := pg.NewDatabase(t)
	q := queue.NewMemory()
	t.Cleanup(func() { _ = q.Close() })
	runReplicas(t, q, func(t *testing.T) replica {
		st, err := postgres.Open(context.Background(), url, postgres.Config{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		ls, err := pgleader.New(st)
		require.NoError(t, err)
		return replica{store: st, leases: ls}
	})
}
