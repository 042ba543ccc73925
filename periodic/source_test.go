package periodic

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/leader"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/storage"
)

// TestStoredSchedules: the Source's schedules join the configured ones at
// a reload, tick from their creation on (not over the grace before it),
// are left out when invalid or named like a configured one, stay the same
// entries while unchanged, and stop once deleted.
func TestStoredSchedules(t *testing.T) {
	b := newBench(t)
	src := storage.NewMemory()
	logs := &testenv.LogBuffer{}
	s, err := New(Config{Client: b.cli, Elector: noElector{}, Grace: time.Minute, Observer: b.rec, Now: b.clock.Now,
		Source: src, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Schedules: []Schedule{{Name: "cfg", Spec: "@every 10s", Type: "cfgjob"}}})
	require.NoError(t, err)
	s.startTerm()
	ctx := t.Context()

	require.NoError(t, src.CreateSchedule(ctx, taskq.StoredSchedule{Name: "beat", Spec: "@every 10s", Type: "job",
		Queue: "cron", Priority: taskq.PriorityHigh, Metadata: map[string]any{"k": 1}, Created: b.clock.Now()}))
	require.NoError(t, src.CreateSchedule(ctx, taskq.StoredSchedule{Name: "cfg", Spec: "@hourly", Type: "job"}))
	require.NoError(t, src.CreateSchedule(ctx, taskq.StoredSchedule{Name: "broken", Spec: "every hour", Type: "job"}))
	require.NoError(t, s.Reload(ctx))
	require.Len(t, s.wake, 1, "the leader is woken")
	st := s.Schedules()
	require.Len(t, st, 2)
	require.Equal(t, "cfg", st[0].Name)
	require.False(t, st[0].Stored)
	require.Equal(t, "beat", st[1].Name)
	require.True(t, st[1].Stored)
	require.Equal(t, t0.Add(10*time.Second), b.rec.next["beat"])
	require.Contains(t, logs.String(), "a configured schedule has this name")
	require.Contains(t, logs.String(), "broken")

	// Created at t0+0.5s: no tick of the grace minute before it.
	require.Equal(t, t0.Add(10*time.Second), s.step(ctx, b.clock.Now()))
	require.Empty(t, b.ticks(t, "beat", "job"))
	require.Len(t, b.ticks(t, "cfg", "cfgjob"), 6, "the configured one enqueues its grace")

	b.clock.Advance(10 * time.Second)
	s.step(ctx, b.clock.Now())
	require.Equal(t, []time.Time{t0.Add(10 * time.Second)}, b.ticks(t, "beat", "job"))
	page, err := b.cli.List(ctx, taskq.TaskFilter{Type: "job"})
	require.NoError(t, err)
	require.Equal(t, "cron", page.Tasks[0].Queue)
	require.Equal(t, taskq.PriorityHigh, page.Tasks[0].Priority)
	require.EqualValues(t, "1", page.Tasks[0].Metadata["k"].(interface{ String() string }).String())

	// An unchanged source keeps the entries (and their cursors).
	<-s.wake
	before := s.snapshot()
	require.NoError(t, s.Reload(ctx))
	require.Equal(t, before, s.snapshot())
	require.Empty(t, s.wake)

	// Deleted: no more ticks.
	require.NoError(t, src.DeleteSchedule(ctx, "beat"))
	require.NoError(t, s.Reload(ctx))
	require.Len(t, s.Schedules(), 1)
	b.clock.Advance(30 * time.Second)
	s.step(ctx, b.clock.Now())
	require.Len(t, b.ticks(t, "beat", "job"), 1)

	// A source that fails keeps the schedules.
	require.NoError(t, src.CreateSchedule(ctx, taskq.StoredSchedule{Name: "late", Spec: "@every 10s", Type: "job"}))
	require.NoError(t, s.Reload(ctx))
	require.NoError(t, src.Close())
	require.Error(t, s.Reload(ctx))
	require.Len(t, s.Schedules(), 2)
}

// eventRecorder reports each run on a channel.
type eventRecorder struct {
	nopObserver
	runs chan string
}

func (r eventRecorder) PeriodicRun(s string, _ time.Time) { r.runs <- s }

// TestStoredScheduleRun: a running scheduler picks up a schedule created
// in its storage within ReloadInterval and enqueues its ticks; once the
// schedule is deleted, it enqueues none of them while the other schedules
// go on.
func TestStoredScheduleRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	store := storage.NewMemory()
	q := queue.NewMemory()
	t.Cleanup(func() { _ = q.Close() })
	cli, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	require.NoError(t, err)
	e, err := leader.New(leader.NewMemoryStore(nil), leader.Config{Name: "periodic"})
	require.NoError(t, err)
	rec := eventRecorder{runs: make(chan string, 100)}
	s, err := New(Config{Client: cli, Elector: e, Source: store, ReloadInterval: 100 * time.Millisecond, Grace: -1,
		Observer: rec, Schedules: []Schedule{{Name: "cfg", Spec: "@every 1s", Type: "cfgjob"}}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	rctx, stop := context.WithCancel(ctx)
	wg.Go(func() { assert.NoError(t, s.Run(rctx)) })
	defer func() { stop(); wg.Wait() }()

	waitRun := func(name string) {
		t.Helper()
		for {
			select {
			case got := <-rec.runs:
				if got == name {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no run of %s", name)
			}
		}
	}
	waitRun("cfg") // leading
	require.NoError(t, store.CreateSchedule(ctx, taskq.StoredSchedule{Name: "beat", Spec: "@every 1s", Type: "job"}))
	waitRun("beat")
	count := func() int {
		page, err := cli.List(ctx, taskq.TaskFilter{Type: "job", Limit: 1000})
		require.NoError(t, err)
		return len(page.Tasks)
	}
	require.GreaterOrEqual(t, count(), 1)

	require.NoError(t, store.DeleteSchedule(ctx, "beat"))
	for len(s.Schedules()) != 1 {
		select {
		case <-rec.runs: // a reload is at most 100ms away: wait on the ticks
		case <-ctx.Done():
			t.Fatal("the deleted schedule is still listed")
		}
	}
	// Two runs of cfg: a step begun before the removal is over.
	waitRun("cfg")
	waitRun("cfg")
	n := count()
	waitRun("cfg")
	waitRun("cfg")
	require.Equal(t, n, count(), "no tick of a deleted schedule")
}
