package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// errUnsupported marks a measure a system has no API for; its cell reads
// "—".
var errUnsupported = errors.New("not supported")

// target is one system in one phase, on a fresh namespace (Redis flushed,
// a new PostgreSQL database).
type target interface {
	// enqueue enqueues one task.
	enqueue(ctx context.Context, p payload) error
	// enqueueBatch enqueues ps in one call (fast: River's InsertManyFast);
	// errUnsupported when the system has no such call.
	enqueueBatch(ctx context.Context, ps []payload, fast bool) error
	// preload enqueues n tasks the fastest way the system offers.
	preload(ctx context.Context, n, batch int) error
	// work starts workers with concurrency conc (tuned: the tuned settings
	// of the latency phase). The runner is done after expect completions;
	// started, when not nil, is called with each task's enqueue time as
	// its handler starts (the handler does nothing else).
	work(ctx context.Context, conc int, tuned bool, expect int, started func(sent time.Time)) (runner, error)
	// close releases the target's connections and namespace.
	close() error
}

// flusher is a target whose enqueues may return before their tasks are
// dispatchable (taskq redis+postgres, whose Client pushes the entries in
// the background, as taskq-server's does): the enqueue phases stop their
// clock after flush has returned, once every task enqueued is queued.
type flusher interface {
	flush(ctx context.Context) error
}

// flushOf flushes t when it is a flusher.
func flushOf(ctx context.Context, t target) error {
	if f, ok := t.(flusher); ok {
		return f.flush(ctx)
	}
	return nil
}

// runner is a running set of workers.
type runner interface {
	// wait returns once the expected tasks are completed: their completion
	// is recorded by the system, not just their handler returned.
	wait(ctx context.Context) error
	// completed is how many tasks are known completed.
	completed() int64
	// stop stops the workers.
	stop(ctx context.Context) error
}

// doneCounter counts completions and closes done at the expected count.
type doneCounter struct {
	n      atomic.Int64
	expect int64
	done   chan struct{}
	once   sync.Once
}

func newDoneCounter(expect int) *doneCounter {
	return &doneCounter{expect: int64(expect), done: make(chan struct{})}
}

func (c *doneCounter) add() {
	if c.n.Add(1) == c.expect {
		c.once.Do(func() { close(c.done) })
	}
}

func (c *doneCounter) wait(ctx context.Context) error {
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
