package taskqotel

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/taskq/taskq"
)

// Queue returns q with a client span around each call ("taskq.queue.<Method>")
// except Wait and Ping. The optional capabilities of q (taskq.QueueBinding,
// taskq.EnqueueCounter) are kept.
func (t *Tracer) Queue(q taskq.Queue) taskq.Queue {
	base := &tracedQueue{q: q, t: t, backend: fmt.Sprintf("%T", q)}
	qb, binding := q.(taskq.QueueBinding)
	ec, counter := q.(taskq.EnqueueCounter)
	switch {
	case binding && counter:
		return struct {
			*tracedQueue
			bindingQueue
			counterQueue
		}{base, bindingQueue{base, qb}, counterQueue{base, ec}}
	case binding:
		return struct {
			*tracedQueue
			bindingQueue
		}{base, bindingQueue{base, qb}}
	case counter:
		return struct {
			*tracedQueue
			counterQueue
		}{base, counterQueue{base, ec}}
	}
	return base
}

type tracedQueue struct {
	q       taskq.Queue
	t       *Tracer
	backend string
}

func (q *tracedQueue) span(ctx context.Context, op, queue string, n int) (context.Context, func(error)) {
	ctx, span := q.t.backendSpan(ctx, "taskq.queue."+op, q.backend, AttrQueue.String(queue), attribute.Int("taskq.ids", n))
	return ctx, func(err error) { end(span, err) }
}

func (q *tracedQueue) Enqueue(ctx context.Context, queue string, entries ...taskq.QueueEntry) (err error) {
	ctx, done := q.span(ctx, "Enqueue", queue, len(entries))
	defer func() { done(err) }()
	return q.q.Enqueue(ctx, queue, entries...)
}

func (q *tracedQueue) Lease(ctx context.Context, p taskq.LeaseParams) (ls []taskq.Lease, err error) {
	ctx, done := q.span(ctx, "Lease", p.Queue, p.Max)
	defer func() { done(err) }()
	return q.q.Lease(ctx, p)
}

func (q *tracedQueue) Extend(ctx context.Context, queue string, leases []taskq.Lease, ttl time.Duration) (lost []taskq.Lease, err error) {
	ctx, done := q.span(ctx, "Extend", queue, len(leases))
	defer func() { done(err) }()
	return q.q.Extend(ctx, queue, leases, ttl)
}

func (q *tracedQueue) Ack(ctx context.Context, queue string, leases ...taskq.Lease) (err error) {
	ctx, done := q.span(ctx, "Ack", queue, len(leases))
	defer func() { done(err) }()
	return q.q.Ack(ctx, queue, leases...)
}

func (q *tracedQueue) Requeue(ctx context.Context, queue string, e taskq.QueueEntry) (err error) {
	ctx, done := q.span(ctx, "Requeue", queue, 1)
	defer func() { done(err) }()
	return q.q.Requeue(ctx, queue, e)
}

func (q *tracedQueue) Remove(ctx context.Context, queue string, ids ...string) (err error) {
	ctx, done := q.span(ctx, "Remove", queue, len(ids))
	defer func() { done(err) }()
	return q.q.Remove(ctx, queue, ids...)
}

func (q *tracedQueue) Reap(ctx context.Context, queue string, max int, ttl time.Duration) (ls []taskq.Lease, err error) {
	ctx, done := q.span(ctx, "Reap", queue, max)
	defer func() { done(err) }()
	return q.q.Reap(ctx, queue, max, ttl)
}

func (q *tracedQueue) Wait(ctx context.Context, queue string, max time.Duration) error {
	return q.q.Wait(ctx, queue, max)
}

func (q *tracedQueue) Stats(ctx context.Context, queue string) (st taskq.QueueStats, err error) {
	ctx, done := q.span(ctx, "Stats", queue, 0)
	defer func() { done(err) }()
	return q.q.Stats(ctx, queue)
}

func (q *tracedQueue) Queues(ctx context.Context) (qs []string, err error) {
	ctx, done := q.span(ctx, "Queues", "", 0)
	defer func() { done(err) }()
	return q.q.Queues(ctx)
}

func (q *tracedQueue) Ping(ctx context.Context) error { return q.q.Ping(ctx) }

func (q *tracedQueue) Close() error { return q.q.Close() }

type bindingQueue struct {
	q  *tracedQueue
	qb taskq.QueueBinding
}

func (b bindingQueue) BindStorage(ctx context.Context, storageID string) error {
	return b.qb.BindStorage(ctx, storageID)
}

type counterQueue struct {
	q  *tracedQueue
	ec taskq.EnqueueCounter
}

func (c counterQueue) EnqueueNew(ctx context.Context, queue string, entries ...taskq.QueueEntry) (n int, err error) {
	ctx, done := c.q.span(ctx, "Enqueue", queue, len(entries))
	defer func() { done(err) }()
	return c.ec.EnqueueNew(ctx, queue, entries...)
}
