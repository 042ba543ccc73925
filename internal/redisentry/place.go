package redisentry

import (
	"strconv"
	"strings"
	"time"
)

// PlaceLua defines the Lua function placeNew(K, now, id, p, at, y, o): it
// places the new entry id, whose HSETNX into the entries hash K[8] (with
// the priority digit p as its value) the caller has just made. K holds a
// queue's keys by index + 1 (the KEYS of the queue's scripts); now and at
// are in milliseconds (at 0: ready now). It records the entry's type y and
// owner o (when not empty), then adds it to the scheduled set when at is
// after now, or else to the ready set of priority p at its owner's next
// round (fair sharing: the round after the owner's latest, or the head's
// round when the owner has no ready entry); it publishes on the queue's
// channel when the entry may be due before anything the waiters know of
// (a ready set that was empty, a new head of the scheduled set).
const PlaceLua = `
local function placeNew(K, now, id, p, at, y, o)
  if y ~= '' then redis.call('HSET', K[11], id, y) end
  if o ~= '' then redis.call('HSET', K[14], id, o) end
  local wake = false
  if at > now then
    local h = redis.call('ZRANGE', K[5], 0, 0, 'WITHSCORES')
    wake = not h[2] or at < tonumber(h[2])
    redis.call('ZADD', K[5], at, id)
  else
    local fk = K[15 + p]
    local st = redis.call('HMGET', fk, 'n:' .. o, 'r:' .. o)
    local n, r = tonumber(st[1] or '0'), 0
    if n > 0 then
      r = tonumber(st[2] or '0') + 1
    else
      local h = redis.call('ZRANGE', K[p + 1], 0, 0, 'WITHSCORES')
      if h[2] then r = tonumber(h[2]) else wake = true end
    end
    redis.call('HSET', fk, 'n:' .. o, n + 1, 'r:' .. o, r)
    redis.call('ZADD', K[p + 1], r, id)
  end
  if wake then
    local r = redis.pcall('SPUBLISH', K[8], '1')
    if type(r) == 'table' and r.err then redis.call('PUBLISH', K[8], '1') end
  end
end
`

// KeysLua defines the Lua functions queueKeys(prefix, q), the keys of
// queue q under prefix as Keys returns them (a table indexed from 1), and
// queuesKey(prefix), QueuesKey.
// Only scripts that run on a single Redis server may use it: the keys it
// names are not declared to the server, and on a cluster they hash to
// another slot than the script's own keys.
var KeysLua = func() string {
	var b strings.Builder
	b.WriteString("\nlocal queueKeySuffixes = {")
	for i, s := range suffixes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(s))
	}
	b.WriteString(`}
local function queueKeys(prefix, q)
  local tag, k = '{' .. prefix .. ':' .. q .. '}', {}
  for i, s in ipairs(queueKeySuffixes) do k[i] = tag .. s end
  return k
end
local function queuesKey(prefix) return prefix .. ` + strconv.Quote(QueuesKey("")) + ` end
`)
	return b.String()
}()

// RunAtArg is a run-at for the scripts: "0" (ready now, by the clock the
// script uses) for a zero time. Scores are milliseconds, so a run time
// is rounded up: an entry never becomes ready before its run time.
func RunAtArg(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	m := t.UnixMilli()
	if time.UnixMilli(m).Before(t) {
		m++
	}
	return strconv.FormatInt(m, 10)
}
