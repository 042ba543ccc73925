package redisqueue

import (
	"context"
	"fmt"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/redisconn"
)

var _ taskq.QueueBinding = (*Queue)(nil)

// bindScript records ARGV[1] as the storage of the key prefix unless one is
// recorded already, and returns the recorded id: a GET and a SET in one
// atomic step.
const bindScript = `
local cur = redis.call('GET', KEYS[1])
if cur then return cur end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`

var luaBind = redisconn.NewScript(bindScript)

// BindStorage implements taskq.QueueBinding: the first call on a key prefix
// records storageID under prefix:storage (one key, in its own cluster slot,
// like prefix:queues), atomically. The same id is accepted again, by any
// process; another id gives an error matching taskq.ErrStorageMismatch,
// since a key prefix belongs to one deployment. A successful answer is
// remembered by this Queue, so only the first call costs a round trip.
func (q *Queue) BindStorage(ctx context.Context, storageID string) error {
	if q.closed.Load() {
		return errClosed
	}
	if storageID == "" {
		return invalid("storage id must not be empty")
	}
	if b := q.boundTo.Load(); b != nil && *b == storageID {
		return nil
	}
	cur, err := luaBind.Exec(ctx, q.client, []string{storageKey(q.cfg.KeyPrefix)}, []string{storageID}).ToString()
	if err != nil {
		return mapErr(ctx, "bind storage", err)
	}
	if cur != storageID {
		return taskq.NewStorageMismatchError(fmt.Sprintf("with Redis key prefix %q", q.cfg.KeyPrefix), cur, storageID)
	}
	q.boundTo.Store(&storageID)
	return nil
}
