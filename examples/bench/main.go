// Command bench measures taskq end to end and prints one table: enqueue
// throughput from 1 and N producers, batch enqueue (EnqueueMany), drain
// throughput of pre-enqueued no-op tasks at several concurrencies, and
// enqueue-to-start latency at a fixed rate.
//
//	go run ./examples/bench -backend memory
//	go run ./examples/bench -backend redis -redis-url redis://127.0.0.1:6379/0
//	go run ./examples/bench -backend redis+postgres -redis-url ... -database-url postgres://...
//
// scripts/bench.sh starts throwaway redis-server and postgres processes on
// loopback and runs it against them.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/worker"
)

type options struct {
	backend     string
	redisURL    string
	databaseURL string
	tasks       int
	producers   int
	concurrency []int
	batch       int
	rate        int
	latencyDur  time.Duration
}

func main() {
	var o options
	var conc string
	flag.StringVar(&o.backend, "backend", "memory", "memory, redis or redis+postgres")
	flag.StringVar(&o.redisURL, "redis-url", os.Getenv("TASKQ_REDIS_URL"), "Redis URL for the redis backends")
	flag.StringVar(&o.databaseURL, "database-url", os.Getenv("TASKQ_DATABASE_URL"), "PostgreSQL URL for redis+postgres")
	flag.IntVar(&o.tasks, "tasks", 20000, "tasks per phase")
	flag.IntVar(&o.producers, "producers", 16, "concurrent producers for the multi-producer enqueue phase")
	flag.StringVar(&conc, "concurrency", "32,100", "comma-separated worker concurrencies for the drain phase")
	flag.IntVar(&o.batch, "batch", 1000, "tasks per EnqueueMany call")
	flag.IntVar(&o.rate, "rate", 500, "tasks per second for the latency phase")
	flag.DurationVar(&o.latencyDur, "latency-duration", 5*time.Second, "how long the latency phase enqueues")
	flag.Parse()
	for _, s := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			log.Fatalf("bad -concurrency %q", conc)
		}
		o.concurrency = append(o.concurrency, n)
	}
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

type row struct{ phase, value, unit string }

func run(o options) error {
	ctx := context.Background()
	var rows []row
	add := func(phase string, v float64, unit string) {
		rows = append(rows, row{phase, fmt.Sprintf("%.0f", v), unit})
		fmt.Fprintf(os.Stderr, "%-45s %12.0f %s\n", phase, v, unit)
	}

	b, err := open(ctx, o, "enq1")
	if err != nil {
		return err
	}
	add("enqueue, 1 producer", enqueueRate(ctx, b, o.tasks, 1), "tasks/s")
	b.close()

	b, err = open(ctx, o, "enqN")
	if err != nil {
		return err
	}
	add(fmt.Sprintf("enqueue, %d producers", o.producers), enqueueRate(ctx, b, o.tasks, o.producers), "tasks/s")
	b.close()

	b, err = open(ctx, o, "enqMany")
	if err != nil {
		return err
	}
	add(fmt.Sprintf("EnqueueMany, batches of %d", o.batch), enqueueManyRate(ctx, b, o.tasks, o.batch), "tasks/s")
	b.close()

	for _, c := range o.concurrency {
		b, err = open(ctx, o, "drain"+strconv.Itoa(c))
		if err != nil {
			return err
		}
		r, err := drainRate(ctx, b, o.tasks, o.batch, c)
		b.close()
		if err != nil {
			return err
		}
		add(fmt.Sprintf("drain %d no-op tasks, concurrency %d", o.tasks, c), r, "tasks/s")
	}

	b, err = open(ctx, o, "latency")
	if err != nil {
		return err
	}
	p50, p99, err := latency(ctx, b, o.rate, o.latencyDur)
	b.close()
	if err != nil {
		return err
	}
	add(fmt.Sprintf("enqueue-to-start p50 at %d tasks/s", o.rate), float64(p50.Microseconds())/1000, "ms")
	add(fmt.Sprintf("enqueue-to-start p99 at %d tasks/s", o.rate), float64(p99.Microseconds())/1000, "ms")
	rows[len(rows)-2].value = fmt.Sprintf("%.2f", float64(p50.Microseconds())/1000)
	rows[len(rows)-1].value = fmt.Sprintf("%.2f", float64(p99.Microseconds())/1000)

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "backend=%s\ttasks=%d\t\n", o.backend, o.tasks)
	fmt.Fprintf(tw, "phase\tresult\tunit\t\n")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", r.phase, r.value, r.unit)
	}
	return tw.Flush()
}

func enqueueRate(ctx context.Context, b *backends, n, producers int) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if _, err := b.client.Enqueue(ctx, "noop", nil); err != nil {
					log.Fatalf("enqueue: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

func enqueueMany(ctx context.Context, b *backends, n, batch int) {
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		reqs := make([]taskq.EnqueueRequest, k)
		for i := range reqs {
			reqs[i] = taskq.EnqueueRequest{Type: "noop"}
		}
		if _, err := b.client.EnqueueMany(ctx, reqs); err != nil {
			log.Fatalf("enqueue many: %v", err)
		}
	}
}

func enqueueManyRate(ctx context.Context, b *backends, n, batch int) float64 {
	start := time.Now()
	enqueueMany(ctx, b, n, batch)
	return float64(n) / time.Since(start).Seconds()
}

// counter counts completed attempts.
type counter struct {
	taskq.NopObserver
	done atomic.Int64
}

func (c *counter) TaskFinished(_ string, o taskq.Outcome, _ time.Duration) {
	if o == taskq.OutcomeCompleted {
		c.done.Add(1)
	}
}

func drainRate(ctx context.Context, b *backends, n, batch, conc int) (float64, error) {
	enqueueMany(ctx, b, n, batch)
	obs := &counter{}
	w, err := worker.New(b.store, b.queue, worker.Config{Concurrency: conc, Observer: obs, Queues: []string{taskq.DefaultQueue}})
	if err != nil {
		return 0, err
	}
	w.HandleFunc("noop", func(context.Context, *taskq.Task) (any, error) { return nil, nil })
	start := time.Now()
	if err := w.Start(ctx); err != nil {
		return 0, err
	}
	deadline := start.Add(10 * time.Minute)
	for obs.done.Load() < int64(n) {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("drain: only %d of %d done after 10m", obs.done.Load(), n)
		}
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	if err := w.Stop(ctx); err != nil {
		return 0, err
	}
	return float64(n) / elapsed.Seconds(), nil
}

func latency(ctx context.Context, b *backends, rate int, dur time.Duration) (p50, p99 time.Duration, err error) {
	var mu sync.Mutex
	var lat []time.Duration
	w, err := worker.New(b.store, b.queue, worker.Config{Concurrency: 32})
	if err != nil {
		return 0, 0, err
	}
	w.HandleFunc("noop", func(_ context.Context, t *taskq.Task) (any, error) {
		d := time.Since(t.Created)
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
		return nil, nil
	})
	if err := w.Start(ctx); err != nil {
		return 0, 0, err
	}
	total := int(float64(rate) * dur.Seconds())
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		if _, err := b.client.Enqueue(ctx, "noop", nil); err != nil {
			return 0, 0, err
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		n := len(lat)
		mu.Unlock()
		if n >= total || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := w.Stop(ctx); err != nil {
		return 0, 0, err
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lat) == 0 {
		return 0, 0, fmt.Errorf("latency: no task ran")
	}
	slices.Sort(lat)
	return lat[len(lat)*50/100], lat[min(len(lat)-1, len(lat)*99/100)], nil
}
