package worker_test

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/testenv"
	"github.com/taskq/taskq/queue"
	"github.com/taskq/taskq/queue/redisqueue"
	"github.com/taskq/taskq/storage"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/storage/redisstore"
	"github.com/taskq/taskq/worker"
)

// BenchmarkDrain measures end-to-end drain of no-op tasks through Client ->
// memory queue/storage -> worker with concurrency 32: b.N tasks are
// enqueued first (untimed), then the worker runs until all completed.
func BenchmarkDrain(b *testing.B) {
	for _, conc := range []int{32} {
		b.Run("memory/concurrency="+itoa(conc), func(b *testing.B) {
			store, q := storage.NewMemory(), queue.NewMemory()
			benchDrain(b, store, q, conc)
		})
	}
}

func benchDrain(b *testing.B, store taskq.StorageAdapter, q taskq.Queue, conc int) {
	benchDrainWith(b, store, q, conc, nil)
}

// benchDrainWith is benchDrain; dbCPU, when set, reads the database
// server's CPU time, reported per task as db-cpu-ns/task.
func benchDrainWith(b *testing.B, store taskq.StorageAdapter, q taskq.Queue, conc int, dbCPU func() time.Duration) {
	obs := &doneCounter{}
	w, err := worker.New(store, q, worker.Config{Concurrency: conc, Observer: obs, Fetchers: benchFetchers, Prefetch: benchPrefetch})
	require.NoError(b, err)
	w.HandleFunc("noop", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	c, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	require.NoError(b, err)
	ctx := context.Background()
	const chunk = 10000
	for done := 0; done < b.N; done += chunk {
		n := min(chunk, b.N-done)
		reqs := make([]taskq.EnqueueRequest, n)
		for i := range reqs {
			reqs[i] = taskq.EnqueueRequest{Type: "noop"}
		}
		_, err := c.EnqueueMany(ctx, reqs)
		require.NoError(b, err)
	}
	b.ResetTimer()
	var db0 time.Duration
	if dbCPU != nil {
		db0 = dbCPU()
	}
	cpu0 := testenv.ProcessCPU()
	start := time.Now()
	require.NoError(b, w.Start(ctx))
	for obs.completed.Load() < int64(b.N) {
		time.Sleep(200 * time.Microsecond)
	}
	elapsed := time.Since(start)
	cpu := testenv.ProcessCPU() - cpu0
	if dbCPU != nil {
		b.ReportMetric(float64((dbCPU()-db0).Nanoseconds())/float64(b.N), "db-cpu-ns/task")
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tasks/s")
	// CPU time per task of this process: on a shared machine wall time
	// varies with the load, this much less.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/task")
	require.NoError(b, w.Stop(ctx))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// doneCounter counts completed attempts with one atomic add.
type doneCounter struct {
	taskq.NopObserver
	completed atomic.Int64
}

func (c *doneCounter) TaskFinished(_ string, o taskq.Outcome, _ time.Duration) {
	if o == taskq.OutcomeCompleted {
		c.completed.Add(1)
	}
}

// BenchmarkDrainPostgres is BenchmarkDrain on PostgreSQL storage (memory
// queue), with synchronous_commit on.
func BenchmarkDrainPostgres(b *testing.B) {
	for _, conc := range []int{32, 100} {
		b.Run("concurrency="+itoa(conc), func(b *testing.B) {
			store := newPostgresStoreTB(b)
			benchDrainWith(b, store, queue.NewMemory(), conc, testenv.SharedPostgres(b).CPUTime)
			reportWriter(b, store)
		})
	}
}

// BenchmarkDrainPostgresOnly is BenchmarkDrain on PostgreSQL alone: the
// store keeps its tasks' queue entries (Config.Dispatch) and the worker
// leases from the store's Queue.
func BenchmarkDrainPostgresOnly(b *testing.B) {
	for _, conc := range []int{32, 100} {
		b.Run("concurrency="+itoa(conc), func(b *testing.B) {
			store := newPostgresStoreWith(b, postgres.Config{Dispatch: true})
			q := store.Queue(postgres.QueueConfig{})
			b.Cleanup(func() { _ = q.Close() })
			dbCPU, report := statementsOf(b, store)
			benchDrainWith(b, store, q, conc, dbCPU)
			reportWriter(b, store)
			report()
		})
	}
}

// statementsOf returns the database CPU reader for benchDrainWith and a
// report to call after it. With testenv.StatStatementsEnv set, the first
// read also resets pg_stat_statements (so the drain alone is counted) and
// the report logs the statements that took the most time, per task:
//
//	TASKQ_PG_STAT_STATEMENTS=1 go test -run '^$' -bench BenchmarkDrainPostgresOnly -benchtime 20000x -v ./worker/
func statementsOf(b *testing.B, store *postgres.Store) (func() time.Duration, func()) {
	pg := testenv.SharedPostgres(b)
	if os.Getenv(testenv.StatStatementsEnv) == "" {
		return pg.CPUTime, func() {}
	}
	ctx := context.Background()
	_, err := store.Pool().Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
	require.NoError(b, err)
	first := true
	read := func() time.Duration {
		if first {
			first = false
			_, err := store.Pool().Exec(ctx, "SELECT pg_stat_statements_reset()")
			require.NoError(b, err)
		}
		return pg.CPUTime()
	}
	report := func() {
		if b.N < 1000 {
			return
		}
		rows, err := store.Pool().Query(ctx, `SELECT calls, rows, total_exec_time,
			left(regexp_replace(query, '\s+', ' ', 'g'), 110)
			FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			ORDER BY total_exec_time DESC LIMIT 8`)
		require.NoError(b, err)
		var calls, n int64
		var ms float64
		var text string
		_, err = pgx.ForEachRow(rows, []any{&calls, &n, &ms, &text}, func() error {
			b.Logf("%8d calls %8d rows %7.1f µs/task  %s", calls, n, ms*1000/float64(b.N), text)
			return nil
		})
		require.NoError(b, err)
	}
	return read, report
}

// reportWriter reports the store's group-commit round trips and
// statements per task.
func reportWriter(b *testing.B, store *postgres.Store) {
	st := store.WriterStats()
	b.ReportMetric(float64(st.Batches)/float64(b.N), "writes/task")
	b.ReportMetric(float64(st.Statements)/float64(b.N), "stmts/task")
}

var benchFetchers = func() int {
	n, _ := strconv.Atoi(os.Getenv("TASKQ_BENCH_FETCHERS"))
	return n
}()

var benchPrefetch = func() int {
	n, _ := strconv.Atoi(os.Getenv("TASKQ_BENCH_PREFETCH"))
	return n
}()

// BenchmarkDrainRedisOnly is BenchmarkDrain on Redis alone (records in
// storage/redisstore, entries in queue/redisqueue, one key prefix). It
// reports the Redis server's CPU time per task (INFO cpu), the script
// calls per task and the commands those scripts ran per task (INFO
// commandstats): on two cores the single-threaded server is what bounds
// this deployment's drain rate.
func BenchmarkDrainRedisOnly(b *testing.B) {
	for _, conc := range []int{32, 100} {
		b.Run("concurrency="+itoa(conc), func(b *testing.B) {
			srv := testenv.StartRedis(b)
			store, err := redisstore.NewFromURL(srv.URL(), redisstore.Config{KeyPrefix: "bench"})
			require.NoError(b, err)
			b.Cleanup(func() { _ = store.Close() })
			// As taskq-server opens Redis alone: the store dispatches.
			q, err := store.Queue(redisqueue.Config{})
			require.NoError(b, err)
			b.Cleanup(func() { _ = q.Close() })
			benchDrainRedis(b, srv, store, q, conc)
		})
	}
}

// BenchmarkDrainRedisQueue is BenchmarkDrain with the queue on Redis and
// the records in memory: the Redis side of the queue alone, reported as
// BenchmarkDrainRedisOnly reports it.
func BenchmarkDrainRedisQueue(b *testing.B) {
	for _, conc := range []int{32, 100} {
		b.Run("concurrency="+itoa(conc), func(b *testing.B) {
			srv := testenv.StartRedis(b)
			q, err := redisqueue.NewFromURL(srv.URL(), redisqueue.Config{KeyPrefix: "bench"})
			require.NoError(b, err)
			b.Cleanup(func() { _ = q.Close() })
			benchDrainRedis(b, srv, storage.NewMemory(), q, conc)
		})
	}
}

// benchDrainRedis runs benchDrainWith on store and q, a queue/redisqueue
// on srv, reporting the server's CPU, script calls and commands per task.
func benchDrainRedis(b *testing.B, srv *testenv.Redis, store taskq.StorageAdapter, q taskq.Queue, conc int) {
	var scripts0, cmds0 float64
	first := true
	benchDrainWith(b, store, q, conc, func() time.Duration {
		scripts, cmds := redisCalls(b, srv)
		if first {
			first, scripts0, cmds0 = false, scripts, cmds
		} else {
			b.ReportMetric((scripts-scripts0)/float64(b.N), "scripts/task")
			b.ReportMetric((cmds-cmds0)/float64(b.N), "cmds/task")
		}
		return redisCPU(b, srv)
	})
}

// redisCPU is the server's CPU time so far.
func redisCPU(b *testing.B, srv *testenv.Redis) time.Duration {
	d, err := srv.CPUTime()
	require.NoError(b, err)
	return d
}

// redisCalls returns the script calls and other commands served so far.
func redisCalls(b *testing.B, srv *testenv.Redis) (scripts, cmds float64) {
	scripts, cmds, err := srv.Calls()
	require.NoError(b, err)
	return scripts, cmds
}

// BenchmarkEnqueueOneProducer measures Client.Enqueue from one producer on
// Redis queue and PostgreSQL storage and on PostgreSQL alone (the test
// server, fsync off), reporting the CPU per enqueue of this process and of
// the PostgreSQL server.
func BenchmarkEnqueueOneProducer(b *testing.B) {
	b.Run("redis+postgres", func(b *testing.B) {
		srv := testenv.StartRedis(b)
		q, err := redisqueue.NewFromURL(srv.URL(), redisqueue.Config{KeyPrefix: "bench"})
		require.NoError(b, err)
		b.Cleanup(func() { _ = q.Close() })
		benchEnqueueOne(b, newPostgresStoreTB(b), q)
	})
	b.Run("postgres-only", func(b *testing.B) {
		store := newPostgresStoreWith(b, postgres.Config{Dispatch: true})
		q := store.Queue(postgres.QueueConfig{})
		b.Cleanup(func() { _ = q.Close() })
		benchEnqueueOne(b, store, q)
	})
}

// benchEnqueueOne enqueues b.N tasks from one producer; with
// testenv.StatStatementsEnv set it logs the statements that took the most
// database time, per task, as BenchmarkDrainPostgresOnly does.
func benchEnqueueOne(b *testing.B, store *postgres.Store, q taskq.Queue) {
	c, err := taskq.NewClient(store, q, taskq.ClientConfig{})
	require.NoError(b, err)
	ctx := context.Background()
	meta := map[string]any{"n": 1, "s": "0123456789012345678901234567890123456789012345678901234567890123456789"}
	dbCPU, report := statementsOf(b, store)
	b.ReportAllocs()
	cpu0, db0 := testenv.ProcessCPU(), dbCPU()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Enqueue(ctx, "noop", meta); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(testenv.ProcessCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(dbCPU()-db0)/float64(b.N), "db-cpu-ns/op")
	report()
}
