package main

// The scale mode (-scale): for each durable taskq deployment and each N
// of -scale-tasks, on an empty namespace, it loads N pending tasks, then
// measures what they cost in storage, the latency of GET /api/tasks
// through the real HTTP server, the periodic reads and maintenance calls
// at that size, and finally drains them. The table (scalereport.go) shows
// whether these costs grow with the number of pending tasks.

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/storage/postgres"
	"github.com/taskq/taskq/worker"
)

// Settings of the scale mode.
const (
	scaleBatch       = 1000 // tasks per EnqueueMany call
	scaleConc        = 100  // drain concurrency
	scaleListLimit   = 50   // page size of the timed GET /api/tasks
	scaleListSamples = 200  // timed requests per page position
	scaleListWarmup  = 5    // untimed requests before each position
	scaleCalls       = 5    // timed calls of each periodic read
	scaleReconciles  = 3    // timed reconcile passes
	scaleReapMax     = 256  // the worker's reap batch
	scaleLeaseTTL    = 30 * time.Second
	scaleRetention   = 7 * 24 * time.Hour
)

// scaleSystems are the deployments -scale measures unless -systems says
// otherwise: the durable ones.
func scaleSystems() []string { return []string{deployRedisPG, deployPGOnly, deployRedis} }

// parseCounts parses a comma-separated list of positive task counts
// ("20000,1000000"; "_" may group digits).
func parseCounts(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.ReplaceAll(strings.TrimSpace(part), "_", "")
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive count", part)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("no count given")
	}
	return out, nil
}

// scaleCol is one column of the scale table: a deployment at one N.
type scaleCol struct {
	dep string
	n   int
}

func (c scaleCol) key() string { return c.dep + "@" + strconv.Itoa(c.n) }

// scaleRun measures deployment dep at n pending tasks and records the
// cells of its column in res.
func scaleRun(ctx context.Context, e *env, res *scaleResults, dep string, n int) {
	col := scaleCol{dep: dep, n: n}
	fail := func(row string, err error) {
		log.Printf("scale %s N=%d: %s: %v", dep, n, row, err)
		res.fail(col, row)
	}
	tg, err := openTaskq(ctx, e, dep)
	if err != nil {
		fail(rowLoad, fmt.Errorf("open: %w", err))
		return
	}
	t := tg.(*taskqTarget)
	defer func() {
		if err := t.close(); err != nil {
			log.Printf("scale %s N=%d: close: %v", dep, n, err)
		}
	}()
	usesRedis := dep == deployRedisPG || dep == deployRedis
	var memBefore, pgBefore int64
	if usesRedis {
		if memBefore, err = redisUsedMemory(ctx, e); err != nil {
			fail(rowRedisBytes, err)
		}
	}
	if t.db != "" {
		if pgBefore, err = pgStoreBytes(ctx, e, t.db); err != nil {
			fail(rowPGBytes, err)
		}
	}

	log.Printf("scale %s N=%d: loading", dep, n)
	d, err := enqueueBatches(ctx, t, n, scaleBatch, false)
	if err != nil {
		fail(rowLoad, err)
		return
	}
	res.set(col, rowLoad, float64(n)/d.Seconds())

	if usesRedis {
		if after, err := redisUsedMemory(ctx, e); err != nil {
			fail(rowRedisBytes, err)
		} else {
			res.set(col, rowRedisBytes, float64(after-memBefore)/float64(n))
		}
	}
	if t.db != "" {
		if after, err := pgStoreBytes(ctx, e, t.db); err != nil {
			fail(rowPGBytes, err)
		} else {
			res.set(col, rowPGBytes, float64(after-pgBefore)/float64(n))
		}
	}

	log.Printf("scale %s N=%d: GET /api/tasks", dep, n)
	if l, err := listLatency(ctx, t, n); err != nil {
		fail(rowListFirst50, err)
	} else {
		res.setDur(col, rowListFirst50, l.first50)
		res.setDur(col, rowListFirst99, l.first99)
		res.setDur(col, rowListDeep50, l.deep50)
		res.setDur(col, rowListDeep99, l.deep99)
		res.depth[col.key()] = l.depth
	}

	log.Printf("scale %s N=%d: periodic reads", dep, n)
	for _, p := range periodics(t) {
		if p.fn == nil {
			continue
		}
		d, err := medianCall(ctx, p.calls, p.fn)
		if err != nil {
			fail(p.row, err)
			continue
		}
		res.setDur(col, p.row, d)
	}

	log.Printf("scale %s N=%d: draining", dep, n)
	w := &drainWatch{e: e, db: t.db, n: n, label: fmt.Sprintf("scale %s N=%d", dep, n)}
	rate, _, err := drainLoaded(ctx, t, n, scaleConc, false, e.o.timeout, w.run)
	if err != nil {
		fail(rowScaleDrain, err)
		return
	}
	res.set(col, rowScaleDrain, rate)
	if w.firstTenth > 0 {
		res.set(col, rowDrainFirst, w.firstTenth)
	}
	if w.lastTenth > 0 {
		res.set(col, rowDrainLast, w.lastTenth)
	}
	log.Printf("scale %s N=%d: done (load %s/s, drain %s/s)", dep, n, fmtRate(res.vals[rowLoad][col.key()]), fmtRate(rate))
}

// redisUsedMemory is the used_memory of INFO memory.
func redisUsedMemory(ctx context.Context, e *env) (int64, error) {
	c := redis.NewClient(&redis.Options{Addr: e.srv.redisAddr})
	defer c.Close()
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	return parseUsedMemory(info)
}

// parseUsedMemory reads used_memory from the text of INFO memory.
func parseUsedMemory(info string) (int64, error) {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("INFO memory has no used_memory")
}

// pgStoreBytes is the size of every table of the store's schema, indexes
// and TOAST included (pg_total_relation_size).
func pgStoreBytes(ctx context.Context, e *env, db string) (int64, error) {
	conn, err := pgx.Connect(ctx, e.srv.pgURL(db))
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int64
	err = conn.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass)), 0)::bigint
		FROM pg_tables WHERE schemaname = $1`, postgres.DefaultSchema).Scan(&n)
	return n, err
}

// periodic is one read or maintenance call that runs on a timer in a
// deployment, timed at the loaded size.
type periodic struct {
	row   string
	calls int
	fn    func(ctx context.Context) error // nil: the storage has no such call
}

// periodics are the calls that run periodically against the backends:
// the queue-size metric and GET /api/queues (Queue.Stats), the task
// counts (Client.QueueStats), the DLQ size metric, and the worker's
// maintenance: a reap pass, a reconcile pass and a retention pass.
func periodics(t *taskqTarget) []periodic {
	// The reconciler's clock runs an hour ahead, so every loaded record is
	// past ReconcileAfter: a pass reads its full 20 pages of 1000 and
	// pushes them again (idempotently), its largest cost.
	rw, rerr := worker.New(t.store, t.queue, worker.Config{Now: func() time.Time { return time.Now().Add(time.Hour) }})
	ps := []periodic{
		{row: rowQueueStats, calls: scaleCalls, fn: func(ctx context.Context) error {
			_, err := t.queue.Stats(ctx, taskq.DefaultQueue)
			return err
		}},
		{row: rowCounts, calls: scaleCalls, fn: func(ctx context.Context) error {
			_, err := t.client.QueueStats(ctx)
			return err
		}},
		{row: rowDLQSize, calls: scaleCalls, fn: func(ctx context.Context) error {
			_, err := t.store.CountDeadLetterTasks(ctx)
			return err
		}},
		{row: rowReap, calls: scaleCalls, fn: func(ctx context.Context) error {
			_, err := t.queue.Reap(ctx, taskq.DefaultQueue, scaleReapMax, scaleLeaseTTL)
			return err
		}},
		{row: rowReconcile, calls: scaleReconciles, fn: func(ctx context.Context) error {
			if rerr != nil {
				return rerr
			}
			return rw.Reconcile(ctx, taskq.DefaultQueue)
		}},
	}
	if fd, ok := t.store.(taskq.FinishedDeleter); ok {
		ps = append(ps, periodic{row: rowRetention, calls: scaleCalls, fn: func(ctx context.Context) error {
			_, err := fd.DeleteFinished(ctx, time.Now().Add(-scaleRetention), 1000)
			return err
		}})
	}
	return ps
}

// medianCall calls fn n times, each bounded, and returns the median time.
func medianCall(ctx context.Context, n int, fn func(context.Context) error) (time.Duration, error) {
	ds := make([]time.Duration, 0, n)
	for range n {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		start := time.Now()
		err := fn(cctx)
		d := time.Since(start)
		cancel()
		if err != nil {
			return 0, err
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

// runScale runs every deployment at every N and prints the table and the
// growth from the smallest to the largest N; it returns the exit code.
func runScale(ctx context.Context, e *env, args []string) int {
	o := e.o
	load0 := loadAverage()
	res := newScaleResults(o)
	for _, dep := range o.systems {
		for _, n := range o.scaleTasks {
			if ctx.Err() != nil {
				log.Printf("scale: stopped: %v", context.Cause(ctx))
				res.failures++
				break
			}
			scaleRun(ctx, e, res, dep, n)
		}
	}
	load1 := loadAverage()
	table := res.markdown() + "\n" + res.growth()
	fmt.Print(table)
	if o.writeDoc && res.failures > 0 {
		log.Printf("not writing %s: %d measures failed", o.docPath, res.failures)
	} else if o.writeDoc {
		block := scaleDocBlock(o, args, e.srv.versions, load0, load1, table)
		if err := writeSection(o.docPath, scaleSection, block); err != nil {
			log.Printf("write %s: %v", o.docPath, err)
			return 1
		}
		log.Printf("wrote %s", o.docPath)
	}
	if res.failures > 0 {
		log.Printf("%d measures failed (see above)", res.failures)
		return 1
	}
	return 0
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// drainWatch logs the drain's progress every scaleWatchEvery while it
// runs: tasks completed, the rate over the last interval and, on
// PostgreSQL deployments, the live and dead rows of the tasks and
// queue_entries tables and their autovacuum count (pg_stat_user_tables),
// to show where a slowdown at a large N comes from. The rates of the
// first and last tenth of the tasks are kept for the table.
type drainWatch struct {
	e     *env
	db    string
	n     int
	label string

	firstTenth, lastTenth float64 // tasks/s
}

// scaleWatchEvery is the period of drainWatch's samples.
const scaleWatchEvery = 2 * time.Second

// run samples completed until stop is closed.
func (w *drainWatch) run(completed func() int64, stop <-chan struct{}) {
	tick := time.NewTicker(scaleWatchEvery)
	defer tick.Stop()
	start := time.Now()
	var last int64
	lastAt := start
	tenth := int64(max(w.n/10, 1))
	var tenthAt time.Time // when the first tenth completed
	var nineAt time.Time  // when nine tenths completed
	var nineCount int64   // completed at nineAt
	sample := func(final bool) {
		now, c := time.Now(), completed()
		if !final && tenthAt.IsZero() && c >= tenth {
			tenthAt = now
			w.firstTenth = float64(c) / now.Sub(start).Seconds()
		}
		if !final && nineAt.IsZero() && c >= int64(w.n)-tenth {
			nineAt, nineCount = now, c
		}
		if final && !nineAt.IsZero() && c > nineCount {
			w.lastTenth = float64(c-nineCount) / now.Sub(nineAt).Seconds()
		}
		msg := fmt.Sprintf("%s: drain %s of %s, %s/s over the last %v", w.label, groupDigits(c), groupDigits(int64(w.n)),
			fmtRate(float64(c-last)/now.Sub(lastAt).Seconds()), now.Sub(lastAt).Round(time.Second))
		if w.db != "" && !final {
			msg += "; " + pgTableStats(w.e, w.db)
		}
		log.Print(msg)
		last, lastAt = c, now
	}
	for {
		select {
		case <-stop:
			sample(true)
			return
		case <-tick.C:
			sample(false)
		}
	}
}

// pgTableStats summarizes pg_stat_user_tables for tasks and queue_entries.
func pgTableStats(e *env, db string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, e.srv.pgURL(db))
	if err != nil {
		return err.Error()
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT relname, n_live_tup, n_dead_tup, autovacuum_count
		FROM pg_stat_user_tables WHERE schemaname = $1 AND relname IN ('tasks', 'queue_entries') ORDER BY relname`, postgres.DefaultSchema)
	if err != nil {
		return err.Error()
	}
	var parts []string
	var name string
	var live, dead, vac int64
	_, err = pgx.ForEachRow(rows, []any{&name, &live, &dead, &vac}, func() error {
		parts = append(parts, fmt.Sprintf("%s live %s dead %s autovacuums %d", name, groupDigits(live), groupDigits(dead), vac))
		return nil
	})
	if err != nil {
		return err.Error()
	}
	return strings.Join(parts, ", ")
}
