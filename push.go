package taskq

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// maxPendingPushes bounds the entries waiting for a push while the queue
// is unreachable: beyond it new entries are not kept (their records are
// stored, and the reconciler pushes them). A variable so that tests can
// lower it.
var maxPendingPushes = 100_000

// Limits of the background pushes (ClientConfig.BackgroundPush).
const (
	// pushTries is how many times one batch is pushed before it is left
	// to the reconciler.
	pushTries = 4
	// pushTimeout bounds one push call.
	pushTimeout = 10 * time.Second
)

// pushRetryDelay is the wait before try n+1 of a batch (n >= 1): 100 ms,
// 400 ms, 1.6 s. A variable so that tests can shorten it.
var pushRetryDelay = func(n int) time.Duration { return 100 * time.Millisecond << (2 * (n - 1)) }

// pusher pushes the queue entries of stored tasks in the background, for a
// Client with BackgroundPush. Entries wait in pending, per queue; one
// goroutine, running only while there is something to push, sends each
// queue's waiting entries in one Enqueue call, so the entries of producers
// that enqueue while a push is in flight go out together in the next.
type pusher struct {
	queue Queue
	log   *slog.Logger

	mu      sync.Mutex
	pending map[string][]QueueEntry
	n       int  // entries in pending
	running bool // the goroutine runs
	dropped int  // entries not kept since the last warning
	// added counts the entries ever kept, handled those pushed or left to
	// the reconciler; changed is closed (and replaced) when handled grows.
	added, handled uint64
	changed        chan struct{}
}

func newPusher(q Queue, log *slog.Logger) *pusher {
	return &pusher{queue: q, log: log, pending: map[string][]QueueEntry{}, changed: make(chan struct{})}
}

// add queues entries for a push on queue, starting the goroutine when
// none runs. Beyond maxPendingPushes it keeps nothing more and says so
// once per batch pushed.
func (p *pusher) add(queue string, entries ...QueueEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n+len(entries) > maxPendingPushes {
		p.dropped += len(entries)
		return
	}
	p.pending[queue] = append(p.pending[queue], entries...)
	p.n += len(entries)
	p.added += uint64(len(entries))
	if !p.running {
		p.running = true
		go p.run()
	}
}

// run pushes what is pending until nothing is, then exits.
func (p *pusher) run() {
	for {
		p.mu.Lock()
		if p.n == 0 {
			p.running = false
			p.mu.Unlock()
			return
		}
		batch, n, dropped := p.pending, p.n, p.dropped
		p.pending, p.n, p.dropped = map[string][]QueueEntry{}, 0, 0
		p.mu.Unlock()
		if dropped > 0 {
			p.log.Warn("too many tasks waiting for a push to the queue: stored but not queued; the reconciler will push them",
				"tasks", dropped)
		}
		for q, entries := range batch {
			p.push(q, entries)
		}
		p.mu.Lock()
		p.handledLocked(n)
		p.mu.Unlock()
	}
}

// handledLocked counts n more entries handled and wakes the Flush calls
// waiting for them. The caller holds p.mu.
func (p *pusher) handledLocked(n int) {
	p.handled += uint64(n)
	close(p.changed)
	p.changed = make(chan struct{})
}

// push sends entries to queue q, trying again after a failure, and leaves
// them to the reconciler after the last try.
func (p *pusher) push(q string, entries []QueueEntry) {
	var err error
	for try := 1; try <= pushTries; try++ {
		if try > 1 {
			time.Sleep(pushRetryDelay(try - 1))
		}
		ctx, cancel := context.WithTimeout(context.Background(), pushTimeout)
		err = p.queue.Enqueue(ctx, q, entries...)
		cancel()
		if err == nil {
			return
		}
	}
	p.log.Warn("tasks stored but not queued; the reconciler will push them",
		"queue", q, "tasks", len(entries), "first_task_id", entries[0].ID, "error", err)
}

// forget drops the waiting entry of task id from queue q, if it still
// waits (Client.Cancel: a cancelled task need not reach the queue).
func (p *pusher) forget(q, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	entries := p.pending[q]
	for i, e := range entries {
		if e.ID == id {
			p.pending[q] = append(entries[:i], entries[i+1:]...)
			p.n--
			p.handledLocked(1) // never to be pushed: done for Flush
			return
		}
	}
}

// flush waits until every entry added before the call has been pushed (or
// left to the reconciler), or ctx ends.
func (p *pusher) flush(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for target := p.added; p.handled < target; {
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			p.mu.Lock()
			return ctx.Err()
		}
		p.mu.Lock()
	}
	return nil
}
