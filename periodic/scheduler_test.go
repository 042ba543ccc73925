package periodic

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testclock"
	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// noElector never leads: the tests drive step themselves.
type noElector struct{}

func (noElector) Run(ctx context.Context, _ func(context.Context, leader.Term)) error {
	<-ctx.Done()
	return nil
}

// failingStore fails creations while fail is set.
type failingStore struct {
	taskq.StorageAdapter
	fail atomic.Bool
}

func (f *failingStore) CreateTask(ctx context.Context, t *taskq.Task) (*taskq.Task, error) {
	if f.fail.Load() {
		return nil, taskq.ErrUnavailable
	}
	return f.StorageAdapter.CreateTask(ctx, t)
}

// recorder is an Observer.
type recorder struct {
	mu       sync.Mutex
	runs     map[string][]time.Time
	next     map[string]time.Time
	failures map[string]int
}

func newRecorder() *recorder {
	return &recorder{runs: map[string][]time.Time{}, next: map[string]time.Time{}, failures: map[string]int{}}
}

func (r *recorder) PeriodicRun(s string, tick time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs[s] = append(r.runs[s], tick)
}

func (r *recorder) PeriodicNext(s string, next time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next[s] = next
}

func (r *recorder) PeriodicFailure(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures[s]++
}

type bench struct {
	clock *testclock.Clock
	store *failingStore
	rec   *recorder
	cli   *taskq.Client
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newBench(t *testing.T) *bench {
	b := &bench{clock: testclock.New(t0.Add(500 * time.Millisecond)), store: &failingStore{StorageAdapter: storage.NewMemory()}, rec: newRecorder()}
	q := queue.NewMemory()
	t.Cleanup(func() { _ = q.Close() })
	cli, err := taskq.NewClient(b.store, q, taskq.ClientConfig{Now: b.clock.Now})
	require.NoError(t, err)
	b.cli = cli
	return b
}

func (b *bench) scheduler(t *testing.T, grace time.Duration, scheds ...Schedule) *Scheduler {
	s, err := New(Config{Client: b.cli, Elector: noElector{}, Schedules: scheds, Grace: grace,
		Observer: b.rec, Now: b.clock.Now})
	require.NoError(t, err)
	s.startTerm()
	return s
}

// ticks returns the tick of every task of type typ, from its idempotency
// key, and fails on a tick seen twice.
func (b *bench) ticks(t *testing.T, name, typ string) []time.Time {
	t.Helper()
	page, err := b.cli.List(t.Context(), taskq.TaskFilter{Type: typ, Limit: 1000})
	require.NoError(t, err)
	seen := map[string]bool{}
	var out []time.Time
	for _, task := range page.Tasks {
		require.False(t, seen[task.IdempotencyKey], "two tasks for %s", task.IdempotencyKey)
		seen[task.IdempotencyKey] = true
		for tick := t0.Add(-24 * time.Hour); tick.Before(t0.Add(24 * time.Hour)); tick = tick.Add(10 * time.Second) {
			if IdempotencyKey(name, tick) == task.IdempotencyKey {
				out = append(out, tick)
			}
		}
	}
	require.Len(t, out, len(page.Tasks), "every task has a tick key")
	return sortTimes(out)
}

func sortTimes(ts []time.Time) []time.Time {
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			if ts[j].Before(ts[i]) {
				ts[i], ts[j] = ts[j], ts[i]
			}
		}
	}
	return ts
}

func every(from time.Time, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = from.Add(time.Duration(i) * 10 * time.Second)
	}
	return out
}

func TestOneTaskPerTick(t *testing.T) {
	b := newBench(t)
	s := b.scheduler(t, -1, Schedule{Name: "tick", Spec: "@every 10s", Type: "job",
		Metadata: map[string]any{"k": "v"}, Options: []taskq.EnqueueOption{taskq.WithQueue("cron")}})
	ctx := t.Context()
	wake := s.step(ctx, b.clock.Now())
	require.Equal(t, t0.Add(10*time.Second), wake, "no grace: nothing before the first future tick")
	require.Empty(t, b.ticks(t, "tick", "job"))
	for range 3 {
		b.clock.Advance(10 * time.Second)
		s.step(ctx, b.clock.Now())
		s.step(ctx, b.clock.Now()) // a second step at the same time adds nothing
	}
	require.Equal(t, every(t0.Add(10*time.Second), 3), b.ticks(t, "tick", "job"))
	require.Equal(t, every(t0.Add(10*time.Second), 3), b.rec.runs["tick"])
	require.Equal(t, t0.Add(40*time.Second), b.rec.next["tick"])

	page, err := b.cli.List(ctx, taskq.TaskFilter{Type: "job"})
	require.NoError(t, err)
	task := page.Tasks[0]
	require.Equal(t, "cron", task.Queue)
	require.Equal(t, "v", task.Metadata["k"])
	require.Contains(t, task.Description, "periodic tick at")

	st := s.Schedules()
	require.Len(t, st, 1)
	require.Equal(t, t0.Add(30*time.Second), *st[0].LastRun)
	require.Equal(t, t0.Add(40*time.Second), *st[0].NextRun)
	require.Equal(t, Skip, st[0].Missed)
}

func TestOverlappingLeadersEnqueueEachTickOnce(t *testing.T) {
	b := newBench(t)
	sc := Schedule{Name: "tick", Spec: "@every 10s", Args: testArgs{N: 1}}
	a, c := b.scheduler(t, time.Minute, sc), b.scheduler(t, time.Minute, sc)
	ctx := t.Context()
	for range 4 {
		a.step(ctx, b.clock.Now())
		c.step(ctx, b.clock.Now())
		b.clock.Advance(10 * time.Second)
	}
	// The grace minute before the start, then every tick once.
	require.Equal(t, every(t0.Add(-50*time.Second), 9), b.ticks(t, "tick", "typed"))
	require.Len(t, b.rec.runs["tick"], 18, "both replicas saw every tick done")
}

func TestMissedTicksAfterDowntime(t *testing.T) {
	for _, tc := range []struct {
		policy MissedPolicy
		want   []time.Time
	}{
		// The first term starts at t0+10.5s with a 30s grace: ticks from
		// t0-10s. Down until t0+1h+0.5s: ticks within the grace before it
		// are enqueued late; older ones dropped...
		{Skip, append(every(t0.Add(-10*time.Second), 3), every(t0.Add(time.Hour-20*time.Second), 3)...)},
		// ...except, under CatchUpOnce, the latest of them (also at the
		// first start).
		{CatchUpOnce, append(append(append([]time.Time{t0.Add(-20 * time.Second)}, every(t0.Add(-10*time.Second), 3)...),
			t0.Add(time.Hour-30*time.Second)), every(t0.Add(time.Hour-20*time.Second), 3)...)},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			b := newBench(t)
			s := b.scheduler(t, 30*time.Second, Schedule{Name: "tick", Spec: "@every 10s", Type: "job", Missed: tc.policy})
			ctx := t.Context()
			b.clock.Advance(10 * time.Second)
			s.step(ctx, b.clock.Now())
			b.clock.Advance(time.Hour - 10*time.Second)
			s.startTerm() // a new leader
			s.step(ctx, b.clock.Now())
			require.Equal(t, tc.want, b.ticks(t, "tick", "job"))
		})
	}
}

func TestCatchUpOnceAtFirstStart(t *testing.T) {
	b := newBench(t)
	s := b.scheduler(t, -1, Schedule{Name: "daily", Spec: "0 3 * * *", Type: "job", Missed: CatchUpOnce})
	s.step(t.Context(), b.clock.Now())
	require.Equal(t, []time.Time{time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)}, b.rec.runs["daily"],
		"the most recent missed tick, once")
	s.step(t.Context(), b.clock.Now())
	require.Len(t, b.rec.runs["daily"], 1)
	require.Equal(t, time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), b.rec.next["daily"])
}

func TestFailedEnqueueIsRetried(t *testing.T) {
	b := newBench(t)
	s := b.scheduler(t, time.Minute, Schedule{Name: "tick", Spec: "@every 10s", Type: "job"})
	ctx := t.Context()
	s.step(ctx, b.clock.Now())
	before := len(b.ticks(t, "tick", "job"))
	b.store.fail.Store(true)
	b.clock.Advance(10 * time.Second)
	wake := s.step(ctx, b.clock.Now())
	require.Equal(t, b.clock.Now().Add(DefaultRetryInterval), wake)
	require.Equal(t, 1, b.rec.failures["tick"])
	require.Contains(t, s.Schedules()[0].LastError, "unavailable")
	b.store.fail.Store(false)
	b.clock.Advance(time.Second)
	s.step(ctx, b.clock.Now())
	require.Len(t, b.ticks(t, "tick", "job"), before+1, "the failed tick is enqueued on retry")
	require.Empty(t, s.Schedules()[0].LastError)
}

func TestNewValidates(t *testing.T) {
	b := newBench(t)
	_, err := New(Config{Elector: noElector{}})
	require.ErrorContains(t, err, "Client")
	_, err = New(Config{Client: b.cli})
	require.ErrorContains(t, err, "Elector")
	sc := Schedule{Name: "a", Spec: "@hourly", Type: "job"}
	_, err = New(Config{Client: b.cli, Elector: noElector{}, Schedules: []Schedule{sc, sc}})
	require.ErrorContains(t, err, "two schedules")
	_, err = New(Config{Client: b.cli, Elector: noElector{}, Schedules: []Schedule{{Name: "a", Spec: "@hourly", Type: "bad type!"}}})
	require.Error(t, err, "the task is validated by the client")
	_, err = New(Config{Client: b.cli, Elector: noElector{}, Schedules: []Schedule{{Name: "a", Spec: "0 0 30 2 *", Type: "job"}}})
	require.True(t, errors.Is(err, errNoTicks), "February 30th never comes: %v", err)
}
