package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Reconnect delays of the listener: doubled after each failure up to the
// maximum.
const (
	listenRetryMin = 50 * time.Millisecond
	listenRetryMax = 2 * time.Second
)

// Wait implements taskq.Queue. The first Wait starts the Queue's listener
// (one connection of its own, LISTEN on the schema's channel) and waits
// until it listens, at most max. Each Wait then registers for the queue's
// notifications and looks once (one statement) for the earliest available
// entry: it returns at once when one is ready or due, and otherwise sleeps
// until a notification for the queue (an enqueue, a requeue, a new task of
// a dispatching store, from any process), the earliest scheduled entry's
// run time, ctx's end, max, or Close. While the listener is down (it
// reconnects on its own) Wait sleeps until max or the earliest run time.
func (q *Queue) Wait(ctx context.Context, queue string, max time.Duration) error {
	if q.closed.Load() {
		return ErrQueueClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkQueueName(queue); err != nil {
		return err
	}
	if max <= 0 {
		return nil
	}
	timer := time.NewTimer(max)
	defer timer.Stop()
	select {
	case <-q.lis.listening():
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-q.done:
		return ErrQueueClosed
	}
	// Register before looking: a notification sent after the look wakes
	// this Wait, and an entry committed before it is seen by the look.
	wake := q.lis.register(queue)

	cctx, cancel := context.WithTimeout(ctx, q.cfg.CallTimeout)
	var due *int64
	err := q.pool.QueryRow(cctx, q.sql.nextDue, queue).Scan(&due)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return mapError("queue wait", err)
	}
	var dueC <-chan time.Time
	if due != nil {
		d := time.Duration(*due) * time.Microsecond
		if d <= 0 {
			return nil
		}
		if d < max {
			t := time.NewTimer(d)
			defer t.Stop()
			dueC = t.C
		}
	}
	if q.sleeping != nil {
		q.sleeping(queue)
	}
	select {
	case <-wake:
	case <-dueC:
	case <-timer.C:
	case <-ctx.Done():
		return ctx.Err()
	case <-q.done:
		return ErrQueueClosed
	}
	return nil
}

// listener holds the LISTEN connection of a Queue and fans notifications
// out to the Waits of each queue name.
type listener struct {
	pool    *pgxpool.Pool
	channel string
	log     *slog.Logger

	startOnce sync.Once
	cancel    context.CancelFunc
	stopped   chan struct{}

	mu sync.Mutex
	// up is closed while the connection listens; replaced by an open one
	// when it is lost.
	up     chan struct{}
	isUp   bool
	wakers map[string]chan struct{} // queue -> closed at its next notification
	halted bool
}

func newListener(pool *pgxpool.Pool, channel string, log *slog.Logger) *listener {
	return &listener{pool: pool, channel: channel, log: log, up: make(chan struct{}),
		wakers: make(map[string]chan struct{})}
}

// listening starts the listener on first use and returns a channel closed
// while it listens.
func (l *listener) listening() <-chan struct{} {
	l.startOnce.Do(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.halted {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		l.cancel = cancel
		l.stopped = make(chan struct{})
		go l.run(ctx)
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.up
}

// register returns a channel closed at the next notification for queue
// (or when the listener reconnects).
func (l *listener) register(queue string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.wakers[queue]
	if c == nil {
		c = make(chan struct{})
		l.wakers[queue] = c
	}
	return c
}

func (l *listener) wake(queue string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.wakers[queue]; c != nil {
		close(c)
		delete(l.wakers, queue)
	}
}

// setUp records the state of the connection. Coming up wakes every Wait:
// notifications may have been missed while it was down.
func (l *listener) setUp(up bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if up == l.isUp {
		return
	}
	l.isUp = up
	if up {
		close(l.up)
		for q, c := range l.wakers {
			close(c)
			delete(l.wakers, q)
		}
		return
	}
	l.up = make(chan struct{})
}

// run keeps a connection listening until ctx ends.
func (l *listener) run(ctx context.Context) {
	defer close(l.stopped)
	delay := listenRetryMin
	for {
		err := l.listen(ctx)
		l.setUp(false)
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("queue listener connection lost; reconnecting", "retry_in", delay, "error", mapError("listen", err))
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		delay = min(2*delay, listenRetryMax)
	}
}

// listen opens a connection, listens and delivers notifications until the
// connection fails or ctx ends.
func (l *listener) listen(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, l.pool.Config().ConnConfig.Copy())
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize()); err != nil {
		return err
	}
	l.setUp(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		l.wake(n.Payload)
	}
}

// stop ends the listener goroutine (if it started) and waits for it.
func (l *listener) stop() {
	l.mu.Lock()
	l.halted = true
	l.mu.Unlock()
	l.startOnce.Do(func() {}) // waits for a start in progress; none after
	l.mu.Lock()
	cancel, stopped := l.cancel, l.stopped
	l.mu.Unlock()
	if cancel != nil {
		cancel()
		<-stopped
	}
}
