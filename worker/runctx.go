package worker

import (
	"context"
	"sync"
)

// runnerCtx is the cancellable parent of the attempt contexts of one
// runner (one runLoop goroutine), reused from attempt to attempt until an
// attempt cancels it. A fresh context.WithCancelCause per attempt would
// cost about five allocations of its own (the context, its cancel
// function, its Done channel and the children map the attempt's deadline
// context joins); reused, they are paid once per runner, and again only
// after a cancellation, which is rare (shutdown, a cancelled task, a lost
// lease).
//
// Each attempt gets a generation. Its cancel handle (attemptCancel)
// cancels only while the runner still runs that generation: the held
// lease set calls cancel functions after releasing its lock, so a call
// meant for an attempt may come after the runner moved on to the next.
type runnerCtx struct {
	mu     sync.Mutex
	gen    uint64
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// attemptCancel cancels one attempt's context with a cause. Without a
// runner it calls fn, a context of the attempt's own.
type attemptCancel struct {
	r   *runnerCtx
	gen uint64
	fn  context.CancelCauseFunc
}

// call cancels the attempt with cause, unless its runner moved on to
// another attempt.
func (c attemptCancel) call(cause error) {
	if c.fn != nil {
		c.fn(cause)
		return
	}
	if c.r == nil {
		return
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if c.r.gen == c.gen {
		c.r.cancel(cause)
	}
}

// begin returns the parent context of the runner's next attempt and the
// attempt's cancel handle; call done with it once the attempt's handler
// returned and its own contexts are cancelled. When parent is not
// context.Background (it carries the attempt's span), the attempt gets a
// context of its own, derived from parent.
func (r *runnerCtx) begin(parent context.Context) (context.Context, attemptCancel) {
	if parent != context.Background() {
		ctx, fn := context.WithCancelCause(parent)
		return ctx, attemptCancel{fn: fn}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx == nil || r.ctx.Err() != nil {
		r.ctx, r.cancel = context.WithCancelCause(context.Background())
	}
	return r.ctx, attemptCancel{r: r, gen: r.gen}
}

// done closes the attempt of c: c does nothing from now on. A runner
// context the attempt cancelled is replaced at the next begin.
func (r *runnerCtx) done(c attemptCancel) {
	if c.fn != nil {
		c.fn(nil)
		return
	}
	r.mu.Lock()
	r.gen++
	r.mu.Unlock()
}
