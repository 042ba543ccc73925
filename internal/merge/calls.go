package merge

import (
	"context"
	"sync"
)

// Calls merges concurrent calls of one kind. Set its fields before the
// first Do; it is safe for concurrent use.
type Calls[In, Out any] struct {
	// Max bounds the calls of one batch; 0 for no bound. The calls beyond
	// it go out in the next batch.
	Max int
	// Send sends one batch and returns one result per call, in the order
	// of batch, or an error for all of them. It is not tied to any one
	// caller's context: it bounds itself.
	Send func(batch []In) ([]Out, error)
	// Go runs the next batch in a goroutine the owner's Close waits for;
	// false means the owner is closed.
	Go func(f func()) bool
	// IsClosed reports whether the owner is closed: a call made then
	// fails with Closed, as do the calls left pending when Go refuses.
	IsClosed func() bool
	Closed   error

	mu       sync.Mutex
	pending  []*call[In, Out]
	inflight bool
}

type call[In, Out any] struct {
	in   In
	done chan result[Out]
}

type result[Out any] struct {
	out Out
	err error
}

// Do sends in, merged with concurrent calls, and returns its result. The
// context bounds only the wait: like a lost reply, a call whose caller gave
// up may still be sent.
func (c *Calls[In, Out]) Do(ctx context.Context, in In) (Out, error) {
	w := &call[In, Out]{in: in, done: make(chan result[Out], 1)}
	c.mu.Lock()
	if c.IsClosed() {
		c.mu.Unlock()
		var zero Out
		return zero, c.Closed
	}
	c.pending = append(c.pending, w)
	lead := !c.inflight
	c.inflight = true
	c.mu.Unlock()
	if lead {
		c.Flush()
	}
	select {
	case r := <-w.done:
		return r.out, r.err
	case <-ctx.Done():
		var zero Out
		return zero, ctx.Err()
	}
}

// Flush sends the pending calls (up to Max) in one batch, as the caller
// that found no batch in flight does. If more are pending afterwards, a
// goroutine started with Go sends them, so no caller waits for others'
// batches after its own is done.
func (c *Calls[In, Out]) Flush() {
	c.mu.Lock()
	batch := c.pending
	if c.Max > 0 && len(batch) > c.Max {
		batch = batch[:c.Max:c.Max]
		c.pending = c.pending[c.Max:]
	} else {
		c.pending = nil
	}
	c.mu.Unlock()

	ins := make([]In, len(batch))
	for i, w := range batch {
		ins[i] = w.in
	}
	outs, err := c.Send(ins)
	for i, w := range batch {
		if err != nil {
			w.done <- result[Out]{err: err}
		} else if i < len(outs) {
			w.done <- result[Out]{out: outs[i]}
		} else {
			w.done <- result[Out]{}
		}
	}

	c.mu.Lock()
	if len(c.pending) > 0 {
		c.mu.Unlock()
		if !c.Go(c.Flush) {
			c.failPending()
		}
		return
	}
	c.inflight = false
	c.mu.Unlock()
}

// failPending ends, with Closed, the calls left pending by a Flush that
// could not start because the owner closed. No Flush runs afterwards: Do
// checks IsClosed under the lock before adding a call.
func (c *Calls[In, Out]) failPending() {
	c.mu.Lock()
	batch := c.pending
	c.pending = nil
	c.inflight = false
	c.mu.Unlock()
	for _, w := range batch {
		w.done <- result[Out]{err: c.Closed}
	}
}

// Hold marks a batch in flight without sending one, so that later calls
// wait until Flush (tests use it to build a batch of their choice).
func (c *Calls[In, Out]) Hold() {
	c.mu.Lock()
	c.inflight = true
	c.mu.Unlock()
}

// Pending is how many calls wait for the next batch.
func (c *Calls[In, Out]) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}
