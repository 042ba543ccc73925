package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// enqueueFrom enqueues n tasks from producers goroutines and returns the
// elapsed time.
func enqueueFrom(ctx context.Context, t target, n, producers int) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, producers)
	start := time.Now()
	for i := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := t.enqueue(ctx, newPayload(time.Now())); err != nil {
					errs[i] = fmt.Errorf("enqueue: %w", err)
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	errs = append(errs, flushOf(ctx, t))
	return time.Since(start), errors.Join(errs...)
}

// preloadBatches enqueues n tasks in calls of batch.
func preloadBatches(ctx context.Context, t target, n, batch int, fast bool) error {
	_, err := enqueueBatches(ctx, t, n, batch, fast)
	return err
}

// enqueueBatches enqueues n tasks in calls of batch and returns the
// elapsed time (payloads are built outside the timed calls).
func enqueueBatches(ctx context.Context, t target, n, batch int, fast bool) (time.Duration, error) {
	var elapsed time.Duration
	for done := 0; done < n; done += batch {
		ps := make([]payload, min(batch, n-done))
		now := time.Now()
		for i := range ps {
			ps[i] = newPayload(now)
		}
		start := time.Now()
		if err := t.enqueueBatch(ctx, ps, fast); err != nil {
			return 0, err
		}
		if err := flushOf(ctx, t); err != nil {
			return 0, err
		}
		elapsed += time.Since(start)
	}
	return elapsed, nil
}

// enqueuePhase measures enqueue throughput from producers goroutines and
// the process cost per task.
func enqueuePhase(ctx context.Context, t target, n, producers int) (rate float64, c cost, err error) {
	m := startMeter()
	d, err := enqueueFrom(ctx, t, n, producers)
	c = m.stop(n)
	return float64(n) / d.Seconds(), c, err
}

// batchPhase measures batch enqueue throughput.
func batchPhase(ctx context.Context, t target, n, batch int, fast bool) (float64, error) {
	d, err := enqueueBatches(ctx, t, n, batch, fast)
	if err != nil {
		return 0, err
	}
	return float64(n) / d.Seconds(), nil
}

// stopRunner stops r within a bound.
func stopRunner(r runner) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.stop(ctx)
}

// drainPhase pre-loads n tasks, then starts workers with concurrency conc
// (tuned: the tuned settings) and measures until all n are completed,
// with the process cost per task.
func drainPhase(ctx context.Context, t target, n, batch, conc int, tuned bool, bound time.Duration) (rate float64, c cost, err error) {
	if err := t.preload(ctx, n, batch); err != nil {
		return 0, cost{}, fmt.Errorf("preload: %w", err)
	}
	return drainLoaded(ctx, t, n, conc, tuned, bound, nil)
}

// drainLoaded starts workers with concurrency conc on n loaded tasks and
// measures until all n are completed, with the process cost per task.
// watch, when not nil, runs while the workers do (until stop is closed)
// and may sample completed.
func drainLoaded(ctx context.Context, t target, n, conc int, tuned bool, bound time.Duration,
	watch func(completed func() int64, stop <-chan struct{})) (rate float64, c cost, err error) {
	m := startMeter()
	start := time.Now()
	r, err := t.work(ctx, conc, tuned, n, nil)
	if err != nil {
		return 0, cost{}, err
	}
	stop, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		if watch != nil {
			watch(r.completed, stop)
		}
	}()
	wctx, cancel := context.WithTimeout(ctx, bound)
	werr := r.wait(wctx)
	cancel()
	elapsed := time.Since(start)
	close(stop)
	<-watched
	c = m.stop(n)
	if werr != nil {
		werr = fmt.Errorf("drain: %d of %d completed: %w", r.completed(), n, werr)
	}
	if err := errors.Join(werr, stopRunner(r)); err != nil {
		return 0, cost{}, err
	}
	return float64(n) / elapsed.Seconds(), c, nil
}

// latencyPhase starts workers with concurrency conc, enqueues at rate
// tasks/s for dur, and returns the p50 and p99 of the time from just
// before each enqueue call to its handler's start. The schedule is open
// loop: task i is due at start + i/rate, and producers goroutines take
// the due tasks in turn, so a slow enqueue call does not lower the rate
// while fewer than producers calls are in flight.
func latencyPhase(ctx context.Context, t target, rate int, dur time.Duration, conc, producers int, tuned bool, bound time.Duration) (p50, p99 time.Duration, err error) {
	total := int(float64(rate) * dur.Seconds())
	var mu sync.Mutex
	lat := make([]time.Duration, 0, total)
	r, err := t.work(ctx, conc, tuned, total, func(sent time.Time) {
		d := time.Since(sent)
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
	})
	if err != nil {
		return 0, 0, err
	}
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, producers)
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(total); i = next.Add(1) - 1 {
				if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
					time.Sleep(d)
				}
				if err := t.enqueue(ctx, newPayload(time.Now())); err != nil {
					errs[p] = fmt.Errorf("enqueue: %w", err)
					next.Store(int64(total))
					return
				}
			}
		}()
	}
	wg.Wait()
	if late := time.Since(start) - dur; late > dur/10 {
		log.Printf("latency phase: enqueueing took %v longer than %v (the rate was not held)", late.Round(time.Millisecond), dur)
	}
	eerr := errors.Join(errs...)
	var werr error
	if eerr == nil {
		wctx, cancel := context.WithTimeout(ctx, bound)
		if werr = r.wait(wctx); werr != nil {
			werr = fmt.Errorf("latency: %d of %d completed: %w", r.completed(), total, werr)
		}
		cancel()
	}
	if err := errors.Join(eerr, werr, stopRunner(r)); err != nil {
		return 0, 0, err
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lat) == 0 {
		return 0, 0, errors.New("latency: no task started")
	}
	slices.Sort(lat)
	return percentile(lat, 50), percentile(lat, 99), nil
}

// percentile is the nearest-rank percentile p of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}
