package alert

import (
	"context"
	"sync"
	"time"
)

// emitTimeout bounds the enqueueing of one buffered event.
const emitTimeout = 10 * time.Second

// lifecycle is the state of Start's job.
type lifecycle struct {
	mu      sync.Mutex
	running bool
	stop    context.CancelFunc // ends the job's loop
	abort   context.CancelFunc // ends the final drain
	done    chan struct{}
}

// Start runs the Notifier's job until Stop: it enqueues buffered breaker
// events and, when DLQSizeThreshold is set, checks the size of the DLQ
// given to WrapDLQ at once and every CheckInterval. It returns at once; a
// second Start is a no-op. With no URLs it starts nothing.
func (n *Notifier) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !n.Enabled() {
		return nil
	}
	l := &n.life
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running {
		return nil
	}
	loopCtx, stop := context.WithCancel(context.Background())
	drainCtx, abort := context.WithCancel(context.Background())
	l.running, l.stop, l.abort, l.done = true, stop, abort, make(chan struct{})
	go n.loop(loopCtx, drainCtx, l.done)
	return nil
}

// Stop ends the job: it enqueues the breaker events still buffered and
// returns once the job has ended. If ctx ends first, the remaining events
// are dropped and ctx.Err() returned. Stop is idempotent and may be
// called before Start.
func (n *Notifier) Stop(ctx context.Context) error {
	l := &n.life
	l.mu.Lock()
	if !l.running {
		l.mu.Unlock()
		return nil
	}
	l.running = false
	stop, abort, done := l.stop, l.abort, l.done
	l.mu.Unlock()
	stop()
	defer abort()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		abort()
		<-done
		return ctx.Err()
	}
}

func (n *Notifier) loop(ctx, drainCtx context.Context, done chan struct{}) {
	defer close(done)
	var tick <-chan time.Time
	if n.cfg.DLQSizeThreshold > 0 {
		t := time.NewTicker(n.cfg.CheckInterval)
		defer t.Stop()
		tick = t.C
		n.periodicCheck(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			n.drain(drainCtx)
			return
		case ev := <-n.events:
			n.emitBuffered(drainCtx, ev) // not cut short by Stop
		case <-tick:
			n.periodicCheck(ctx)
		}
	}
}

func (n *Notifier) periodicCheck(ctx context.Context) {
	n.dlqMu.RLock()
	d := n.dlq
	n.dlqMu.RUnlock()
	n.checkSize(ctx, d)
}

// drain enqueues the events still buffered, until none is left or ctx
// ends.
func (n *Notifier) drain(ctx context.Context) {
	for ctx.Err() == nil {
		select {
		case ev := <-n.events:
			n.emitBuffered(ctx, ev)
		default:
			return
		}
	}
}

func (n *Notifier) emitBuffered(ctx context.Context, ev Event) {
	ctx, cancel := context.WithTimeout(ctx, emitTimeout)
	defer cancel()
	if err := n.Emit(ctx, ev); err != nil {
		n.log.WarnContext(ctx, "cannot enqueue alert", "kind", ev.Kind, "event_id", ev.ID, "error", err)
	}
}
