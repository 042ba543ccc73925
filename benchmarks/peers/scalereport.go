package main

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"
)

// Rows of the scale table.
const (
	rowLoad        = "load"
	rowRedisBytes  = "redis_bytes"
	rowPGBytes     = "pg_bytes"
	rowListFirst50 = "list_first_p50"
	rowListFirst99 = "list_first_p99"
	rowListDeep50  = "list_deep_p50"
	rowListDeep99  = "list_deep_p99"
	rowQueueStats  = "queue_stats"
	rowCounts      = "counts"
	rowDLQSize     = "dlq_size"
	rowReap        = "reap"
	rowReconcile   = "reconcile"
	rowRetention   = "retention"
	rowScaleDrain  = "drain"
	rowDrainFirst  = "drain_first"
	rowDrainLast   = "drain_last"
)

// scaleRow is one row of the scale table.
type scaleRow struct {
	key, label string
	// ms: the value is a duration shown in milliseconds; rate: tasks/s;
	// otherwise bytes.
	ms, rate bool
}

func scaleRows() []scaleRow {
	return []scaleRow{
		{key: rowLoad, label: fmt.Sprintf("load: EnqueueMany, %d per call (tasks/s)", scaleBatch), rate: true},
		{key: rowRedisBytes, label: "Redis used_memory growth per pending task (bytes)"},
		{key: rowPGBytes, label: "PostgreSQL tables and indexes per pending task (bytes)"},
		{key: rowListFirst50, label: fmt.Sprintf("GET /api/tasks?limit=%d, first page, p50 (ms)", scaleListLimit), ms: true},
		{key: rowListFirst99, label: fmt.Sprintf("GET /api/tasks?limit=%d, first page, p99 (ms)", scaleListLimit), ms: true},
		{key: rowListDeep50, label: fmt.Sprintf("GET /api/tasks?limit=%d, page at N/2 (cursor), p50 (ms)", scaleListLimit), ms: true},
		{key: rowListDeep99, label: fmt.Sprintf("GET /api/tasks?limit=%d, page at N/2 (cursor), p99 (ms)", scaleListLimit), ms: true},
		{key: rowQueueStats, label: "Queue.Stats of the queue: queue-size metric, GET /api/queues (ms/call)", ms: true},
		{key: rowCounts, label: "Client.QueueStats: task counts by status (ms/call)", ms: true},
		{key: rowDLQSize, label: "CountDeadLetterTasks: DLQ-size metric (ms/call)", ms: true},
		{key: rowReap, label: fmt.Sprintf("reap pass: Queue.Reap, %d, nothing expired (ms/call)", scaleReapMax), ms: true},
		{key: rowReconcile, label: "reconcile pass: Worker.Reconcile, up to 20 pages of 1000 (ms/call)", ms: true},
		{key: rowRetention, label: "retention pass: DeleteFinished, none finished (ms/call)", ms: true},
		{key: rowScaleDrain, label: fmt.Sprintf("drain, concurrency %d, no-op handler (tasks/s)", scaleConc), rate: true},
		{key: rowDrainFirst, label: "drain, first tenth of the tasks (tasks/s)", rate: true},
		{key: rowDrainLast, label: "drain, last tenth of the tasks (tasks/s)", rate: true},
	}
}

// scaleResults holds the measured values by row and column key.
type scaleResults struct {
	o        options
	cols     []scaleCol
	vals     map[string]map[string]float64 // row -> column -> value (ms for durations)
	failed   map[string]map[string]bool
	depth    map[string]int // column -> tasks before the deep page
	failures int
}

func newScaleResults(o options) *scaleResults {
	r := &scaleResults{o: o, vals: map[string]map[string]float64{}, failed: map[string]map[string]bool{}, depth: map[string]int{}}
	for _, dep := range o.systems {
		for _, n := range o.scaleTasks {
			r.cols = append(r.cols, scaleCol{dep: dep, n: n})
		}
	}
	return r
}

func (r *scaleResults) set(c scaleCol, row string, v float64) {
	if r.vals[row] == nil {
		r.vals[row] = map[string]float64{}
	}
	r.vals[row][c.key()] = v
}

func (r *scaleResults) setDur(c scaleCol, row string, d time.Duration) {
	r.set(c, row, float64(d)/float64(time.Millisecond))
}

func (r *scaleResults) fail(c scaleCol, row string) {
	if r.failed[row] == nil {
		r.failed[row] = map[string]bool{}
	}
	r.failed[row][c.key()] = true
	r.failures++
}

// cell formats one value.
func (r *scaleResults) cell(row scaleRow, c scaleCol) string {
	if r.failed[row.key][c.key()] {
		return "error"
	}
	v, ok := r.vals[row.key][c.key()]
	if !ok {
		return "—"
	}
	switch {
	case row.ms:
		return fmtMillis(time.Duration(v * float64(time.Millisecond)))
	default:
		return fmtRate(v)
	}
}

func (r *scaleResults) colTitle(c scaleCol) string {
	return fmt.Sprintf("%s, N=%s", c.dep, groupDigits(int64(c.n)))
}

// markdown renders the table: rows are measures, columns deployment × N.
func (r *scaleResults) markdown() string {
	var b strings.Builder
	b.WriteString("| measure |")
	for _, c := range r.cols {
		b.WriteString(" " + r.colTitle(c) + " |")
	}
	b.WriteString("\n|---|")
	for range r.cols {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, row := range scaleRows() {
		b.WriteString("| " + row.label + " |")
		for _, c := range r.cols {
			b.WriteString(" " + r.cell(row, c) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// growth renders, per deployment, each measure at the largest N divided
// by the same measure at the smallest N (1.0: it does not grow with N).
func (r *scaleResults) growth() string {
	lo, hi := minMax(r.o.scaleTasks)
	if lo == hi {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| growth from N=%s to N=%s (×) |", groupDigits(int64(lo)), groupDigits(int64(hi)))
	for _, dep := range r.o.systems {
		b.WriteString(" " + dep + " |")
	}
	b.WriteString("\n|---|")
	for range r.o.systems {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, row := range scaleRows() {
		b.WriteString("| " + row.label + " |")
		for _, dep := range r.o.systems {
			b.WriteString(" " + r.ratio(row.key, scaleCol{dep, lo}, scaleCol{dep, hi}) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ratio formats the value at hi over the value at lo.
func (r *scaleResults) ratio(row string, lo, hi scaleCol) string {
	a, ok1 := r.vals[row][lo.key()]
	z, ok2 := r.vals[row][hi.key()]
	if !ok1 || !ok2 || a <= 0 || math.IsNaN(z) {
		return "—"
	}
	q := z / a
	if q >= 10 {
		return fmt.Sprintf("%.0f", q)
	}
	return fmt.Sprintf("%.2f", q)
}

func minMax(ns []int) (lo, hi int) {
	lo, hi = ns[0], ns[0]
	for _, n := range ns {
		lo, hi = min(lo, n), max(hi, n)
	}
	return lo, hi
}

// Markers of the generated scale section of the performance document.
const (
	scaleDocBegin = "<!-- bench-scale:begin (generated by make bench-scale; edits inside are overwritten) -->"
	scaleDocEnd   = "<!-- bench-scale:end -->"
)

var scaleSection = docSection{begin: scaleDocBegin, end: scaleDocEnd, heading: "Scale: a million pending tasks"}

// scaleDocBlock is the generated scale section: the command, the
// settings, what each row means, then the tables.
func scaleDocBlock(o options, args []string, servers []string, load0, load1, tables string) string {
	var shown []string
	for _, a := range args {
		if a != "-scale" && a != "--scale" {
			shown = append(shown, a)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s with `make bench-scale", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	if len(shown) > 0 {
		fmt.Fprintf(&b, " BENCH_SCALE_FLAGS='%s'", strings.Join(shown, " "))
	}
	b.WriteString("`.\n\n")
	fmt.Fprintf(&b, "- Machine: %d CPUs (`nproc`), GOMAXPROCS %d, %s, %s/%s, %s; load average (1, 5, 15 min) %s at the start, %s at the end (other jobs shared the machine).\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version(), load0, load1)
	for _, s := range servers {
		fmt.Fprintf(&b, "- %s, on loopback, sharing the machine with the benchmark process.\n", s)
	}
	ns := make([]string, len(o.scaleTasks))
	for i, n := range o.scaleTasks {
		ns[i] = groupDigits(int64(n))
	}
	fmt.Fprintf(&b, "- N = %s pending tasks (100-byte JSON payload, one queue, one type, no owner), each run on an empty namespace (Redis flushed, a new database); PostgreSQL pool %s.\n",
		strings.Join(ns, " and "), poolText(o.pgPool))
	fmt.Fprintf(&b, "- Load: `Client.EnqueueMany` in calls of %d, timed over the calls.\n", scaleBatch)
	b.WriteString("- Storage: Redis `used_memory` (INFO memory) after the load minus before, over N (queue and, redis-only, the records); PostgreSQL `pg_total_relation_size` of every table of the store's schema (tasks, queue_entries and the rest, indexes and TOAST included) after minus before, over N.\n")
	fmt.Fprintf(&b, "- GET /api/tasks: the reference server (`server.New`, worker not started, admin API key) behind `httptest.NewServer` on 127.0.0.1; one keep-alive client, %d untimed then %d timed sequential requests of `?limit=%d`, on the first page and on the page after N/2 tasks (its cursor found by following the storage's `next_cursor` in pages of 1000), nearest-rank p50 and p99.\n",
		scaleListWarmup, scaleListSamples, scaleListLimit)
	fmt.Fprintf(&b, "- Periodic calls, median of %d calls at the loaded size (reconcile: %d passes): `Queue.Stats` (the queue-size metric, GET /api/queues), `Client.QueueStats` (`taskq.StatusCounter`, GET /api/queues counts), `CountDeadLetterTasks` (the DLQ-size metric), the worker's reap pass (`Queue.Reap` of %d, nothing expired), a reconcile pass (`Worker.Reconcile` with the worker's clock an hour ahead, so every pending record qualifies and the pass reads its full 20 pages of 1000 and pushes them again, idempotently; successive passes continue from the previous one's cursor) and a retention pass (`DeleteFinished` of up to 1000 finished more than 7 days ago: none).\n",
		scaleCalls, scaleReconciles, scaleReapMax)
	fmt.Fprintf(&b, "- Drain: a worker at concurrency %d with a no-op handler, timed from its start to the N-th completion recorded in storage; the first and last tenth are timed from samples every %v (the last tenth from the first sample at or past nine tenths; \"—\" when the drain ended before a sample got there).\n", scaleConc, scaleWatchEvery)
	b.WriteString("- The second table divides each measure at the largest N by the same measure at the smallest: about 1 for a cost that does not grow with the number of pending tasks, N/N₀ for a full scan.\n\n")
	b.WriteString(tables)
	return b.String()
}
