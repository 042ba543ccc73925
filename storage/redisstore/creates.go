package redisstore

import (
	"github.com/redis/rueidis"
	"github.com/taskq/taskq/internal/merge"
)

// Concurrent CreateTask calls of tasks without a unique key are merged into
// one run of the create-each script (createEachScript), as updates are
// (updates.go): while a run is in flight, later calls wait and go out
// together in the next, each with its own checks and its own reply. Many
// producers then cost one EVALSHA per batch and one ZADD per index key and
// one HINCRBY per counter for the whole batch, instead of a script and ten
// commands per task on the single Redis thread. A lone call goes out at
// once, on its caller's goroutine.

// maxCreateBatch bounds the creates of one script run.
const maxCreateBatch = 256

// createBatcher merges creates; each call is one task (createArgs) and its
// result the script's reply for it.
type createBatcher = merge.Calls[[]string, rueidis.RedisMessage]

// newCreateBatcher returns the merge of s's creates.
func (s *Store) newCreateBatcher() *createBatcher {
	return &createBatcher{Max: maxCreateBatch, Send: s.sendCreates, Go: s.bg.Go, IsClosed: s.closed.Load, Closed: errClosed}
}

// sendCreates runs a batch of creates in one script call and returns one
// reply per create.
func (s *Store) sendCreates(batch [][]string) ([]rueidis.RedisMessage, error) {
	return s.sendMerged(s.scripts().each, "create task", batch)
}
