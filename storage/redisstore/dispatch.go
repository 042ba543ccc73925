package redisstore

import (
	"errors"
	"strconv"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
	"github.com/taskq/taskq/internal/redisentry"
	"github.com/taskq/taskq/queue/redisqueue"
)

var _ taskq.Dispatcher = (*Store)(nil)

// Queue returns a queue/redisqueue Queue on the store's client and key
// prefix (cfg.KeyPrefix must be empty or the store's; the queue does not
// close the client). On a single Redis server, the store then dispatches:
// the script that stores a pending task's record also writes its queue
// entry, as redisqueue's Enqueue would, and the script that stores a
// terminal status or deletes a record removes it, so a record and its
// entry are written together or not at all, and an enqueue is one round
// trip instead of two. taskq.NewClient sees it (taskq.Dispatcher) and does not
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
//
// A task the queue would refuse (its priority or queue name invalid) is
// invalid input here, before anything is written: the script must not
// fail halfway, after the record.
func (s *Store) entryArg(t *taskq.Task) (string, error) {
	if t.Status != taskq.StatusPending || !s.dispatching() {
		return "", nil
	}
	if !t.Priority.Valid() {
		return "", invalid("task %s: priority %d must be between 0 and 3", t.ID, t.Priority)
	}
	if !names.Valid(t.Queue, taskq.MaxQueueNameLength) {
		return "", invalid("task %s: queue name %q must be 1-%d letters, digits and ._:-/", t.ID, t.Queue, taskq.MaxQueueNameLength)
	}
	at := "0"
	if t.RunAt.After(t.Created) {
		at = redisentry.RunAtArg(t.RunAt)
	}
	return strconv.Itoa(int(t.Priority)) + ":" + at, nil
}

// dispatchPrelude follows prelude in the create scripts of a dispatching
// store (after redisentry's ManyLua, NotifyLua, RoundsLua and KeysLua).
// dispatch(t) notes the queue entry of task t (read by task(); t.e as
// entryArg makes it) and placeEntries(), which the create scripts call
// last, writes the noted entries as redisqueue's Enqueue writes new ones,
// a few commands per queue rather than per task: the entries, types and
// owners hashes, the ready sets at the owners' rounds, the scheduled set,
// the queue's name, one notification. An id already in the entries hash
// is left as it is (an id queued with no record: its lease now finds the
// record). The clock is the server's, read once per run.
const dispatchPrelude = `
local entryPrefix, entryQueues, entryOf = string.sub(tag, 2, -2), {}, {}
local function dispatch(t)
  if t.e == '' then return end
  local l = entryOf[t.q]
  if not l then
    l = {}
    entryOf[t.q] = l
    entryQueues[#entryQueues + 1] = t.q
  end
  l[#l + 1] = t
end
local function placeEntries()
  local now = false
  for _, q in ipairs(entryQueues) do
    local K, ts, ids = queueKeys(entryPrefix, q), entryOf[q], {}
    redis.call('SADD', queuesKey(entryPrefix), q)
    for i, t in ipairs(ts) do ids[i] = t.id end
    local have = many('HMGET', K[7], ids, 1)
    local set, ys, os, sq = {}, {}, {}, {}
    local rq, ro = {[0] = {}, {}, {}, {}}, {[0] = {}, {}, {}, {}}
    for i, t in ipairs(ts) do
      if not have[i] then
        local p, at = string.sub(t.e, 1, 1), tonumber(string.sub(t.e, 3))
        set[#set + 1] = t.id
        set[#set + 1] = p
        if t.y ~= '' then ys[#ys + 1] = t.id; ys[#ys + 1] = t.y end
        if t.o ~= '' then os[#os + 1] = t.id; os[#os + 1] = t.o end
        if at > 0 and not now then
          local tm = redis.call('TIME')
          now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
        end
        if at > 0 and at > now then
          sq[#sq + 1] = at
          sq[#sq + 1] = t.id
        else
          local l, lo = rq[tonumber(p)], ro[tonumber(p)]
          l[#l + 1] = t.id
          lo[#lo + 1] = t.o
        end
      end
    end
    if #set > 0 then
      many('HSET', K[7], set, 2)
      if #ys > 0 then many('HSET', K[11], ys, 2) end
      if #os > 0 then many('HSET', K[14], os, 2) end
      if placeQueued(K, rq, ro, sq) then notify(K) end
    end
  end
end
` + finishPrelude

// finishPrelude, part of dispatchPrelude: entryDone(q, id, new) notes that
// task id of queue q was updated to status new, or deleted (new
// 'cancelled'); removeDone(), which the update and delete scripts call
// last, deletes the queue entries of the noted tasks that reached a
// terminal status, wherever the entries are (ready, scheduled or leased:
// a holder's next heartbeat finds its lease gone), as redisqueue's Remove
// does. So a finished task never keeps an entry, and the worker need not
// acknowledge a completed task's lease (taskq.Dispatcher).
const finishPrelude = `
local doneOf, doneQueues = {}, {}
local function entryDone(q, id, new)
  if new ~= 'completed' and new ~= 'cancelled' and new ~= 'dead_letter' then return end
  local l = doneOf[q]
  if not l then
    l = {}
    doneOf[q] = l
    doneQueues[#doneQueues + 1] = q
  end
  l[#l + 1] = id
end
local function removeDone()
  for _, q in ipairs(doneQueues) do removeEntries(queueKeys(entryPrefix, q), doneOf[q]) end
  doneOf, doneQueues = {}, {}
end
`

// noDispatchPrelude is dispatchPrelude of a store that does not dispatch.
const noDispatchPrelude = `
local function dispatch(t) end
local function placeEntries() end
local function entryDone(q, id, new) end
local function removeDone() end
`
