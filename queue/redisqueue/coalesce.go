package redisqueue

import (
	"context"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/merge"
)

// Concurrent Enqueue calls on one queue are merged into one script call
// (internal/merge): while a call is in flight, later ones wait and go out
// together in the next. Under load many producers then cost one round trip
// and one EVALSHA per batch instead of one each; a lone call goes out at
// once.

// coalesceTimeout bounds one merged script call, which serves many callers
// and so is not tied to any one caller's context.
const coalesceTimeout = 10 * time.Second

// coalescer is the merge of the enqueues of one queue (keys); each call is
// the arguments of its entries (enqueueArity strings per entry).
type coalescer = merge.Calls[[]string, struct{}]

func (q *Queue) coalescerFor(queue string, keys []string) *coalescer {
	if c, ok := q.coalescers.Load(queue); ok {
		return c.(*coalescer)
	}
	c, _ := q.coalescers.LoadOrStore(queue, &coalescer{
		Send:     func(batch [][]string) ([]struct{}, error) { return nil, q.sendEnqueues(keys, batch) },
		Go:       q.bg.Go,
		IsClosed: q.closed.Load,
		Closed:   errClosed,
	})
	return c.(*coalescer)
}

// enqueueCoalesced runs the enqueue script for args (enqueueArity strings
// per entry, see enqueueArgs) merged with concurrent callers'. The script
// is idempotent per id, so an error reported to a merged batch loses
// nothing on retry.
func (q *Queue) enqueueCoalesced(ctx context.Context, queue string, keys []string, args []string) error {
	_, err := q.coalescerFor(queue, keys).Do(ctx, args)
	return err
}

// sendEnqueues sends a batch of enqueue calls in one script call (or
// several, see execBatches). Close cancels a call in flight: its callers
// get errClosed.
func (q *Queue) sendEnqueues(keys []string, batch [][]string) error {
	n := 0
	for _, a := range batch {
		n += len(a)
	}
	args := make([]string, 0, n)
	for _, a := range batch {
		args = append(args, a...)
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
		return nil
	case q.ctx.Err() != nil:
		return errClosed
	case timedOut:
		return &taskq.Error{Code: taskq.CodeServiceUnavailable, Retryable: true, Err: err,
			Message: "redisqueue: enqueue: no reply from redis within " + coalesceTimeout.String()}
	default:
		return mapErr(ctx, "enqueue", err)
	}
}
