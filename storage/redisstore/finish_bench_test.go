package redisstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage/redisstore"
)

// BenchmarkFinish measures what completing a started task costs Redis
// on a dispatching store (Redis alone, as taskq-server opens it):
// b.N tasks are created and started (untimed), then 16 goroutines
// complete them with UpdateAttempt, which merges concurrent calls into
// one script run, as a worker's completions do. It reports the server's
// time in scripts and its CPU per task.
func BenchmarkFinish(b *testing.B) {
	srv := testenv.StartRedis(b)
	store := newStore(b, srv.URL(), redisstore.Config{KeyPrefix: "bench"})
	q, err := store.Queue(redisqueue.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = q.Close() })
	ctx := context.Background()
	ts := make([]*taskq.Task, b.N)
	for i := range ts {
		ts[i] = task(func(t *taskq.Task) { t.Metadata = nil })
	}
	for i := 0; i < len(ts); i += 1000 {
		if err := store.CreateTasks(ctx, ts[i:min(i+1000, len(ts))]); err != nil {
			b.Fatal(err)
		}
	}
	started := make([]*taskq.Task, 0, b.N)
	for i := 0; i < len(ts); i += 100 {
		ids := make([]string, 0, 100)
		for _, t := range ts[i:min(i+100, len(ts))] {
			ids = append(ids, t.ID)
		}
		st, err := store.StartTasks(ctx, ids, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		started = append(started, st...)
	}
	if len(started) != b.N {
		b.Fatalf("started %d of %d", len(started), b.N)
	}
	// server reads the server's time in scripts and CPU time so far.
	server := func() (script, cpu time.Duration) {
		script, err := srv.ScriptTime()
		if err == nil {
			cpu, err = srv.CPUTime()
		}
		if err != nil {
			b.Fatal(err)
		}
		return script, cpu
	}
	script0, cpu0 := server()
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(started)); i = next.Add(1) - 1 {
				t := started[i]
				now := time.Now().UTC()
				t.Status, t.CompletedAt, t.Updated, t.Result = taskq.StatusCompleted, &now, now, []byte(`{"ok":true}`)
				if err := store.UpdateAttempt(ctx, t, t.Attempts); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	script1, cpu1 := server()
	b.ReportMetric(float64((script1-script0).Nanoseconds())/float64(b.N), "redis-script-ns/task")
	b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "redis-cpu-ns/task")
}
