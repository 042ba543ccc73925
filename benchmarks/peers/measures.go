package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"
)

// Row keys of the table.
const (
	rowEnq1       = "enq1"
	rowEnqN       = "enqN"
	rowBatch      = "batch"
	rowBatchFast  = "batchFast"
	rowDrain      = "drain" // + concurrency
	rowDrainTuned = "drainTuned"
	rowP50Default = "p50default"
	rowP99Default = "p99default"
	rowP50Tuned   = "p50tuned"
	rowP99Tuned   = "p99tuned"
	rowCommitRef  = "commitRef"
	rowCPUEnq     = "cpuEnq"
	rowAllocEnq   = "allocEnq"
	rowCPUDrain   = "cpuDrain"
	rowAllocDrain = "allocDrain"
)

// row is one line of the table.
type row struct{ key, label string }

func rows(o options) []row {
	rs := []row{
		{rowEnq1, "enqueue, 1 producer (tasks/s)"},
		{rowEnqN, fmt.Sprintf("enqueue, %d producers (tasks/s)", o.producers)},
		{rowBatch, fmt.Sprintf("batch enqueue, %d per call (tasks/s)", o.batch)},
		{rowBatchFast, fmt.Sprintf("batch enqueue, %d per call, COPY (InsertManyFast) (tasks/s)", o.batch)},
	}
	for _, c := range o.concs {
		rs = append(rs, row{fmt.Sprint(rowDrain, c), fmt.Sprintf("drain %d pre-loaded tasks, concurrency %d (tasks/s)", o.tasks, c)})
	}
	rs = append(rs, row{rowDrainTuned, fmt.Sprintf("drain %d pre-loaded tasks, concurrency %d, tuned settings (tasks/s)", o.tasks, o.concs[len(o.concs)-1])})
	lat := fmt.Sprintf("%d/s for %v, concurrency %d", o.rate, o.latencyDur, o.latencyConc)
	rs = append(rs,
		row{rowP50Default, "enqueue-to-start p50, " + lat + ", default settings (ms)"},
		row{rowP99Default, "enqueue-to-start p99, " + lat + ", default settings (ms)"},
		row{rowP50Tuned, "enqueue-to-start p50, " + lat + ", tuned settings (ms)"},
		row{rowP99Tuned, "enqueue-to-start p99, " + lat + ", tuned settings (ms)"},
		row{rowCommitRef, "PostgreSQL single-client commits/s, same server (reference)"},
		row{rowCPUEnq, "CPU per enqueue, 1 producer (µs/task, this process)"},
		row{rowAllocEnq, "allocations per enqueue, 1 producer (objects / bytes)"},
		row{rowCPUDrain, fmt.Sprintf("CPU per drained no-op task, concurrency %d (µs/task, this process)", o.concs[0])},
		row{rowAllocDrain, fmt.Sprintf("allocations per drained task, concurrency %d (objects / bytes)", o.concs[0])},
	)
	return rs
}

// results holds the cells: row key -> system id -> text.
type results struct {
	o        options
	cells    map[string]map[string]string
	failures int
}

func (r *results) set(key, sys, v string) {
	if r.cells[key] == nil {
		r.cells[key] = map[string]string{}
	}
	r.cells[key][sys] = v
}

// fail records a failed measure: its cells read "failed".
func (r *results) fail(sys, phase string, err error, keys ...string) {
	if errors.Is(err, errUnsupported) {
		return
	}
	r.failures++
	log.Printf("%s / %s: FAILED: %v", sys, phase, err)
	for _, k := range keys {
		r.set(k, sys, "failed")
	}
}

// phase is one measure run on each system in turn, each time on a fresh
// target.
type phase struct {
	name string
	keys []string
	run  func(ctx context.Context, t target, r *results, sys string) error
}

func phases(o options) []phase {
	bound := max(2*time.Minute, time.Duration(o.tasks)*10*time.Millisecond)
	ps := []phase{
		{"enqueue, 1 producer", []string{rowEnq1, rowCPUEnq, rowAllocEnq}, func(ctx context.Context, t target, r *results, sys string) error {
			rate, c, err := enqueuePhase(ctx, t, o.tasks, 1)
			if err != nil {
				return err
			}
			r.set(rowEnq1, sys, fmtRate(rate))
			r.set(rowCPUEnq, sys, fmtMicros(c.cpu))
			r.set(rowAllocEnq, sys, fmtAllocs(c))
			return nil
		}},
		{fmt.Sprintf("enqueue, %d producers", o.producers), []string{rowEnqN}, func(ctx context.Context, t target, r *results, sys string) error {
			rate, _, err := enqueuePhase(ctx, t, o.tasks, o.producers)
			if err == nil {
				r.set(rowEnqN, sys, fmtRate(rate))
			}
			return err
		}},
		{"batch enqueue", []string{rowBatch}, func(ctx context.Context, t target, r *results, sys string) error {
			rate, err := batchPhase(ctx, t, o.tasks, o.batch, false)
			if err == nil {
				r.set(rowBatch, sys, fmtRate(rate))
			}
			return err
		}},
		{"batch enqueue, fast", []string{rowBatchFast}, func(ctx context.Context, t target, r *results, sys string) error {
			rate, err := batchPhase(ctx, t, o.tasks, o.batch, true)
			if err == nil {
				r.set(rowBatchFast, sys, fmtRate(rate))
			}
			return err
		}},
	}
	for i, c := range o.concs {
		key := fmt.Sprint(rowDrain, c)
		keys := []string{key}
		if i == 0 {
			keys = append(keys, rowCPUDrain, rowAllocDrain)
		}
		ps = append(ps, phase{fmt.Sprintf("drain, concurrency %d", c), keys, func(ctx context.Context, t target, r *results, sys string) error {
			rate, cst, err := drainPhase(ctx, t, o.tasks, o.batch, c, false, bound)
			if err != nil {
				return err
			}
			r.set(key, sys, fmtRate(rate))
			if i == 0 {
				r.set(rowCPUDrain, sys, fmtMicros(cst.cpu))
				r.set(rowAllocDrain, sys, fmtAllocs(cst))
			}
			return nil
		}})
	}
	last := o.concs[len(o.concs)-1]
	ps = append(ps, phase{fmt.Sprintf("drain, concurrency %d, tuned", last), []string{rowDrainTuned}, func(ctx context.Context, t target, r *results, sys string) error {
		rate, _, err := drainPhase(ctx, t, o.tasks, o.batch, last, true, bound)
		if err == nil {
			r.set(rowDrainTuned, sys, fmtRate(rate))
		}
		return err
	}})
	for _, tuned := range []bool{false, true} {
		k50, k99, name := rowP50Default, rowP99Default, "latency, default settings"
		if tuned {
			k50, k99, name = rowP50Tuned, rowP99Tuned, "latency, tuned settings"
		}
		ps = append(ps, phase{name, []string{k50, k99}, func(ctx context.Context, t target, r *results, sys string) error {
			p50, p99, err := latencyPhase(ctx, t, o.rate, o.latencyDur, o.latencyConc, o.producers, tuned, bound)
			if err != nil {
				return err
			}
			r.set(k50, sys, fmtMillis(p50))
			r.set(k99, sys, fmtMillis(p99))
			return nil
		}})
	}
	return ps
}

// runPhases runs every phase on every selected system (phase by phase,
// so that a change in the machine's load spreads over all systems), then
// the commit reference.
func runPhases(ctx context.Context, e *env) *results {
	o := e.o
	r := &results{o: o, cells: map[string]map[string]string{}}
	for _, p := range phases(o) {
		for _, s := range systems() {
			if !o.selected(s.id) {
				continue
			}
			if ctx.Err() != nil {
				r.fail(s.id, p.name, context.Cause(ctx), p.keys...)
				continue
			}
			start := time.Now()
			t, err := s.open(ctx, e)
			if err != nil {
				r.fail(s.id, p.name, fmt.Errorf("open: %w", err), p.keys...)
				continue
			}
			err = p.run(ctx, t, r, s.id)
			if cerr := t.close(); cerr != nil && err == nil {
				err = fmt.Errorf("close: %w", cerr)
			}
			if err != nil {
				r.fail(s.id, p.name, err, p.keys...)
				continue
			}
			log.Printf("%-22s %-28s %s (%.1fs)", s.title, p.name, r.summary(p.keys, s.id), time.Since(start).Seconds())
		}
	}
	if o.needPostgres() {
		rate, err := commitRate(ctx, e, o.refDur)
		if err != nil {
			r.failures++
			log.Printf("commit reference: FAILED: %v", err)
		} else {
			log.Printf("PostgreSQL single-client commits: %s/s", fmtRate(rate))
		}
		for _, s := range systems() {
			if !s.pg || !o.selected(s.id) {
				continue
			}
			if err != nil {
				r.set(rowCommitRef, s.id, "failed")
			} else {
				r.set(rowCommitRef, s.id, fmtRate(rate))
			}
		}
	}
	return r
}

// summary is the cells of keys for sys, for the progress log.
func (r *results) summary(keys []string, sys string) string {
	var parts []string
	for _, k := range keys {
		if v, ok := r.cells[k][sys]; ok {
			parts = append(parts, v)
		} else {
			parts = append(parts, "—")
		}
	}
	return strings.Join(parts, " | ")
}
