package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/merge"
	"github.com/taskq/taskq/internal/redisconn"
)

// Concurrent UpdateTask and UpdateAttempt calls are merged into one run of
// the update script (internal/merge): while a run is in flight, later calls
// wait and go out together in the next. A worker finishing many tasks at
// once then costs one EVALSHA per batch, and the batch's index and counter
// changes one command per key (see updateBody), instead of one script
// and a dozen commands per task on the single Redis thread. A lone call
// goes out at once.

const (
	// maxUpdateBatch bounds the updates of one script run, so that one run
	// holds the Redis thread for a few milliseconds at most.
	maxUpdateBatch = 256
	// mergedTimeout bounds one merged script call (updates, creates),
	// which serves many callers and so is not tied to any one caller's
	// context.
	mergedTimeout = 10 * time.Second
)

// updateBatcher merges updates; each call is one update (updateArgs) and
// its result the script's reply for it.
type updateBatcher = merge.Calls[[]string, rueidis.RedisMessage]

// newUpdateBatcher returns the merge of s's updates.
func (s *Store) newUpdateBatcher() *updateBatcher {
	return &updateBatcher{Max: maxUpdateBatch, Send: s.sendUpdates, Go: s.bg.Go, IsClosed: s.closed.Load, Closed: errClosed}
}

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
	return s.updates.Do(ctx, args)
}

// sendUpdates runs a batch of updates in one script call and returns one
// reply per update.
func (s *Store) sendUpdates(batch [][]string) ([]rueidis.RedisMessage, error) {
	return s.sendMerged(s.scripts().update, "update", batch)
}

// sendMerged runs the merged calls batch (each its own arguments) in one
// call of l, whose first argument after the tag is their number, and
// returns one reply per call. Close cancels a call in flight: its callers
// get errClosed.
func (s *Store) sendMerged(l *redisconn.Script, op string, batch [][]string) ([]rueidis.RedisMessage, error) {
	n := 1
	for _, a := range batch {
		n += len(a)
	}
	args := make([]string, 0, n)
	args = append(args, strconv.Itoa(len(batch)))
	for _, a := range batch {
		args = append(args, a...)
	}
	// A timer rather than a deadline, as in redisqueue: with a context that
	// has no deadline rueidis returns as soon as the context ends (on
	// Close), where a deadline would keep it in a read until it passes.
	ctx, cancel := context.WithCancel(s.ctx)
	timer := time.AfterFunc(mergedTimeout, cancel)
	res, err := s.exec(ctx, l, args).ToArray()
	timedOut := !timer.Stop()
	cancel()
	switch {
	case err == nil && len(res) != len(batch):
		return nil, corrupt("?", errMalformedReply)
	case err == nil:
		return res, nil
	case s.ctx.Err() != nil:
		return nil, errClosed
	case timedOut:
		return nil, &taskq.Error{Code: taskq.CodeServiceUnavailable, Retryable: true, Err: err,
			Message: "redisstore: " + op + ": no reply from redis within " + mergedTimeout.String()}
	default:
		return nil, mapErr(ctx, op, err)
	}
}
