package redisqueue

import (
	"context"
	"sync"
	"time"

	"github.com/taskq/taskq"
)

// coalescer merges concurrent Enqueue calls on one queue into one script
// call: while a call is in flight, later ones wait and go out together in
// the next. Under load many producers then cost one round trip and one
// EVALSHA per batch instead of one each; a lone call goes out at once.
type coalescer struct {
	mu       sync.Mutex
	pending  []*enqWaiter
	inflight bool
}

type enqWaiter struct {
	args []string
	done chan error
}

// coalesceTimeout bounds one merged script call, which serves many callers
// and so is not tied to any one caller's context.
const coalesceTimeout = 10 * time.Second

func (q *Queue) coalescerFor(queue string) *coalescer {
	if c, ok := q.coalescers.Load(queue); ok {
		return c.(*coalescer)
	}
	c, _ := q.coalescers.LoadOrStore(queue, &coalescer{})
	return c.(*coalescer)
}

// enqueueCoalesced runs the enqueue script for args (enqueueArity strings
// per entry, see enqueueArgs) merged with concurrent callers'. The script is idempotent per
// id, so an error reported to a merged batch loses nothing on retry.
func (q *Queue) enqueueCoalesced(ctx context.Context, queue string, keys []string, args []string) error {
	c := q.coalescerFor(queue)
	w := &enqWaiter{args: args, done: make(chan error, 1)}
	c.mu.Lock()
	if q.closed.Load() {
		c.mu.Unlock()
		return errClosed
	}
	c.pending = append(c.pending, w)
	lead := !c.inflight
	if lead {
		c.inflight = true
	}
	c.mu.Unlock()
	if lead {
		q.flushEnqueues(c, keys)
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flushEnqueues sends everything pending in one call; if more arrived
// meanwhile, a new goroutine (one Close waits for) sends that, so no caller
// waits for others' batches after its own is done. Close cancels a call in
// flight; its callers, and those still pending, get errClosed.
func (q *Queue) flushEnqueues(c *coalescer, keys []string) {
	c.mu.Lock()
	batch := c.pending
	c.pending = nil
	c.mu.Unlock()

	n := 0
	for _, w := range batch {
		n += len(w.args)
	}
	args := make([]string, 0, n)
	for _, w := range batch {
		args = append(args, w.args...)
	}
	// A timer rather than a deadline: with a context that has no deadline
	// rueidis queues the call and returns as soon as the context ends (on
	// Close), where a deadline would keep it in a read until it passes.
	ctx, cancel := context.WithCancel(q.ctx)
	timer := time.AfterFunc(coalesceTimeout, cancel)
	_, err := q.execBatches(ctx, luaEnqueue, keys, []string{q.nowArg()}, args, enqueueArity)
	timedOut := !timer.Stop()
	cancel()
	switch {
	case err == nil:
	case q.ctx.Err() != nil:
		err = errClosed
	case timedOut:
		err = &taskq.Error{Code: taskq.CodeServiceUnavailable, Retryable: true, Err: err,
			Message: "redisqueue: enqueue: no reply from redis within " + coalesceTimeout.String()}
	default:
		err = mapErr(ctx, "enqueue", err)
	}
	for _, w := range batch {
		w.done <- err
	}

	c.mu.Lock()
	if len(c.pending) > 0 {
		c.mu.Unlock()
		if !q.bg.Go(func() { q.flushEnqueues(c, keys) }) {
			q.failPending(c)
		}
		return
	}
	c.inflight = false
	c.mu.Unlock()
}

// failPending ends, with errClosed, the calls left pending by a flush that
// could not start because the Queue closed. No flush runs afterwards:
// enqueueCoalesced checks closed under c.mu before adding a caller.
func (q *Queue) failPending(c *coalescer) {
	c.mu.Lock()
	batch := c.pending
	c.pending = nil
	c.inflight = false
	c.mu.Unlock()
	for _, w := range batch {
		w.done <- errClosed
	}
}
