package redisstore

import (
	"strings"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/redisconn"
)

// Unique tasks (taskq.UniqueOpts): a record created with a unique key
// keeps it in fields uk and us (its unique states), and {p}:uniq maps the
// key to the last task created with it. The unique create script checks, in the
// script that creates the tasks, that no task holds their keys: the
// task {p}:uniq names holds its key while it exists, still has that key,
// and its status is one of its us. Status changes need no bookkeeping; a
// purged record drops its {p}:uniq entry.

// uniqueCheck runs before createBody, with the same arguments: it refuses
// a duplicate id or idempotency key (as createBody would, so that those
// come first) or a held unique key ({0, holder record, 'u'}), then points
// the keys of the new tasks at them.
const uniqueCheck = `
local uniqKey = tag .. ':uniq'
local un, upos, uts = tonumber(ARGV[2]), 3, {}
for i = 1, un do
  local t
  t, upos = task(upos)
  for j = t.from, t.to, 2 do
    if ARGV[j] == 'uk' then t.uk = ARGV[j + 1] elseif ARGV[j] == 'us' then t.us = ARGV[j + 1] end
  end
  uts[i] = t
end
for _, t in ipairs(uts) do
  local cur = existing(t)
  if cur then return {0, record(cur)} end
end
for _, t in ipairs(uts) do
  if t.uk then
    local cur = redis.call('HGET', uniqKey, t.uk)
    if cur then
      local f = redis.call('HMGET', tkey(cur), 's', 'uk', 'us')
      if f[1] and f[2] == t.uk and string.find(',' .. (f[3] or '') .. ',', ',' .. f[1] .. ',', 1, true) then
        return {0, record(cur), 'u'}
      end
    end
  end
end
for _, t in ipairs(uts) do
  if t.uk then redis.call('HSET', uniqKey, t.uk, t.id) end
end
`

// putUnique appends the unique fields of t to a record's fields.
func putUnique(f []string, t *taskq.Task) []string {
	if t.UniqueKey == "" {
		return f
	}
	st := make([]string, len(t.UniqueStates))
	for i, s := range t.UniqueStates {
		st[i] = string(s)
	}
	return append(f, "uk", t.UniqueKey, "us", strings.Join(st, ","))
}

// createLua returns the all-or-nothing script of cs that creates ts.
func (cs *entryScripts) createLua(ts ...*taskq.Task) *redisconn.Script {
	for _, t := range ts {
		if t.UniqueKey != "" {
			return cs.unique
		}
	}
	return cs.all
}

// duplicateOf is the error of a refused creation: res is the script's
// reply, id the task it names.
func duplicateOf(res []rueidis.RedisMessage, id string) error {
	if len(res) > 2 {
		if s, _ := res[2].ToString(); s == "u" {
			return taskq.NewUniqueError("redisstore: task "+id+" holds the unique key", nil)
		}
	}
	return duplicate(id)
}

// uniqueTwice returns the error of a batch in which two tasks have one
// unique key, or nil.
func uniqueTwice(ts []*taskq.Task) error {
	seen := make(map[string]bool)
	for _, t := range ts {
		if t.UniqueKey == "" {
			continue
		}
		if seen[t.UniqueKey] {
			return taskq.NewUniqueError("redisstore: two tasks of the batch have one unique key", nil)
		}
		seen[t.UniqueKey] = true
	}
	return nil
}
