package redisstore

import (
	"errors"
	"strconv"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/redisentry"
	"github.com/taskq/taskq/queue/redisqueue"
)

var _ taskq.Dispatcher = (*Store)(nil)

// Queue returns a queue/redisqueue Queue on the store's client and key
// prefix (cfg.KeyPrefix must be empty or the store's; the queue does not
// close the client). On a single Redis server, the store then dispatches:
// the script that stores a pending task's record also writes its queue
// entry, as redisqueue's Enqueue would, so a record and its entry are
// written together or not at all, and an enqueue is one round trip
// instead of two. taskq.NewClient sees it (taskq.Dispatcher) and does not
// push the entry again. From then on every pending task the store
// creates gets its entry in this queue, whichever Client creates it.
//
// On Redis Cluster the records and each queue live in different slots, so
// the store does not dispatch: the Client pushes each entry after storing
// its record, as with a queue opened on its own. Nor does it when cfg.Now
// is set (a test clock), since the store's scripts read the server's.
func (s *Store) Queue(cfg redisqueue.Config) (*redisqueue.Queue, error) {
	switch cfg.KeyPrefix {
	case "":
		cfg.KeyPrefix = s.cfg.KeyPrefix
	case s.cfg.KeyPrefix:
	default:
		return nil, errors.New("redisstore: Queue: KeyPrefix " + strconv.Quote(cfg.KeyPrefix) + " is not the store's (" + strconv.Quote(s.cfg.KeyPrefix) + ")")
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	q, err := redisqueue.New(s.client, cfg)
	if err != nil {
		return nil, err
	}
	if s.client.Mode() != rueidis.ClientModeCluster && cfg.Now == nil {
		s.dispatchTo.Store(q)
	}
	return q, nil
}

// Dispatches implements taskq.Dispatcher: it reports whether q is the
// queue the store writes the entries of its pending tasks into (Queue).
func (s *Store) Dispatches(q taskq.Queue) bool {
	rq, ok := q.(*redisqueue.Queue)
	return ok && rq != nil && rq == s.dispatchTo.Load()
}

// dispatching reports whether the store writes queue entries.
func (s *Store) dispatching() bool { return s.dispatchTo.Load() != nil }

// entryArg is the queue entry argument of a task for the create scripts:
// "" for none (the store does not dispatch, or the task is not pending),
// else its priority digit, ":" and its run-at (redisentry.RunAtArg of the
// run time when it is after the creation time, else "0": ready now by the
// server's clock, as taskq.Client pushes it).
func (s *Store) entryArg(t *taskq.Task) string {
	if t.Status != taskq.StatusPending || !s.dispatching() {
		return ""
	}
	at := "0"
	if t.RunAt.After(t.Created) {
		at = redisentry.RunAtArg(t.RunAt)
	}
	return strconv.Itoa(int(t.Priority)) + ":" + at
}

// dispatchPrelude follows prelude in the create scripts of a dispatching
// store (with redisentry's PlaceLua and KeysLua): dispatch(t) places the
// entry of task t (read by task(), its entry argument t.e as entryArg
// makes it) in the queue t.q under the store's prefix, registering the
// queue's name once per script run. An entry that exists already is left
// as it is (an id queued with no record: its lease now finds the record).
// The clock is the server's, read once per run.
const dispatchPrelude = `
local entryPrefix = string.sub(tag, 2, -2)
local entryNow, entryKeys = false, {}
local function dispatch(t)
  if t.e == '' then return end
  local K = entryKeys[t.q]
  if not K then
    K = queueKeys(entryPrefix, t.q)
    entryKeys[t.q] = K
    redis.call('SADD', queuesKey(entryPrefix), t.q)
  end
  local p = string.sub(t.e, 1, 1)
  if redis.call('HSETNX', K[7], t.id, p) == 0 then return end
  if not entryNow then
    local tm = redis.call('TIME')
    entryNow = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
  end
  placeNew(K, entryNow, t.id, tonumber(p), tonumber(string.sub(t.e, 3)), t.y, t.o)
end
`

// noDispatchPrelude is dispatchPrelude of a store that does not dispatch.
const noDispatchPrelude = `
local function dispatch(t) end
`
