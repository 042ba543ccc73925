package redisstore

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
)

// updateBatcher merges concurrent UpdateTask and UpdateAttempt calls into
// one run of the update script: while a call is in flight, later ones wait
// and go out together in the next. A worker finishing many tasks at once
// then costs one EVALSHA per batch, and the batch's index and counter
// changes one command per key (see updateScript), instead of one script
// and a dozen commands per task on the single Redis thread. A lone call
// goes out at once.
type updateBatcher struct {
	mu       sync.Mutex
	pending  []*updateWaiter
	inflight bool
}

type updateWaiter struct {
	args []string // one update: id, mode, condition, status, pair count, pairs
	done chan updateReply
}

type updateReply struct {
	msg rueidis.RedisMessage
	err error
}

const (
	// maxUpdateBatch bounds the updates of one script run, so that one run
	// holds the Redis thread for a few milliseconds at most.
	maxUpdateBatch = 256
	// updateTimeout bounds one merged script call, which serves many
	// callers and so is not tied to any one caller's context.
	updateTimeout = 10 * time.Second
)

// updateArgs returns the script arguments of one update of t.
func updateArgs(t *taskq.Task, pairs []string, mode, cond string) []string {
	args := make([]string, 0, 5+len(pairs))
	args = append(args, t.ID, mode, cond, string(t.Status), strconv.Itoa(len(pairs)/2))
	return append(args, pairs...)
}

// updateMerged runs one update (updateArgs) in a script call shared with
// concurrent callers and returns its reply. The call's own context bounds
// only its wait: like a lost reply, an update whose caller gave up may
// still be applied.
func (s *Store) updateMerged(ctx context.Context, args []string) (rueidis.RedisMessage, error) {
	w := &updateWaiter{args: args, done: make(chan updateReply, 1)}
	b := &s.updates
	b.mu.Lock()
	if s.closed.Load() {
		b.mu.Unlock()
		return rueidis.RedisMessage{}, errClosed
	}
	b.pending = append(b.pending, w)
	lead := !b.inflight
	if lead {
		b.inflight = true
	}
	b.mu.Unlock()
	if lead {
		s.flushUpdates()
	}
	select {
	case r := <-w.done:
		return r.msg, r.err
	case <-ctx.Done():
		return rueidis.RedisMessage{}, ctx.Err()
	}
}

// flushUpdates sends up to maxUpdateBatch pending updates in one call; if
// more are pending afterwards, a new goroutine (one Close waits for) sends
// them, so no caller waits for others' batches after its own is done.
// Close cancels a call in flight; its callers, and those still pending,
// get errClosed.
func (s *Store) flushUpdates() {
	b := &s.updates
	b.mu.Lock()
	batch := b.pending
	if len(batch) > maxUpdateBatch {
		batch = batch[:maxUpdateBatch:maxUpdateBatch]
		b.pending = b.pending[maxUpdateBatch:]
	} else {
		b.pending = nil
	}
	b.mu.Unlock()

	n := 1
	for _, w := range batch {
		n += len(w.args)
	}
	args := make([]string, 0, n)
	args = append(args, strconv.Itoa(len(batch)))
	for _, w := range batch {
		args = append(args, w.args...)
	}
	// A timer rather than a deadline, as in redisqueue: with a context that
	// has no deadline rueidis returns as soon as the context ends (on
	// Close), where a deadline would keep it in a read until it passes.
	ctx, cancel := context.WithCancel(s.ctx)
	timer := time.AfterFunc(updateTimeout, cancel)
	res, err := s.exec(ctx, luaUpdate, args).ToArray()
	timedOut := !timer.Stop()
	cancel()
	switch {
	case err == nil && len(res) != len(batch):
		err = corrupt("?", errMalformedReply)
	case err == nil:
	case s.ctx.Err() != nil:
		err = errClosed
	case timedOut:
		err = &taskq.Error{Code: taskq.CodeServiceUnavailable, Retryable: true, Err: err,
			Message: "redisstore: update: no reply from redis within " + updateTimeout.String()}
	default:
		err = mapErr(ctx, "update", err)
	}
	for i, w := range batch {
		if err != nil {
			w.done <- updateReply{err: err}
		} else {
			w.done <- updateReply{msg: res[i]}
		}
	}

	b.mu.Lock()
	if len(b.pending) > 0 {
		b.mu.Unlock()
		if !s.bg.Go(s.flushUpdates) {
			s.failUpdates()
		}
		return
	}
	b.inflight = false
	b.mu.Unlock()
}

// failUpdates ends, with errClosed, the updates left pending by a flush
// that could not start because the Store closed. No flush runs afterwards:
// updateMerged checks closed under the batcher's lock before adding one.
func (s *Store) failUpdates() {
	b := &s.updates
	b.mu.Lock()
	batch := b.pending
	b.pending = nil
	b.inflight = false
	b.mu.Unlock()
	for _, w := range batch {
		w.done <- updateReply{err: errClosed}
	}
}
