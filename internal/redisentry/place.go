package redisentry

import (
	"strconv"
	"strings"
	"time"
)

// NotifyLua defines the Lua function notify(K): it publishes on the
// channel of the queue whose keys K holds (sharded pub/sub when the server
// has it).
const NotifyLua = `
local function notify(K)
  local r = redis.pcall('SPUBLISH', K[8], '1')
  if type(r) == 'table' and r.err then redis.call('PUBLISH', K[8], '1') end
end
`

// PlaceLua defines notify (NotifyLua) and the Lua function placeNew(K,
// now, id, p, at, y, o): it places the new entry id, whose HSETNX into
// the entries hash K[7] (with the priority digit p as its value) the
// caller has just made. K holds a queue's keys by index + 1 (the KEYS of
// the queue's scripts); now and at are in milliseconds (at 0: ready now).
// It records the entry's type y and owner o (when not empty), then adds it
// to the scheduled set when at is after now, or else to the ready set of
// priority p at its owner's next round (see rounds in RoundsLua); it
// notifies the waiters when the entry may be due before anything they
// know of (a ready set that was empty, a new head of the scheduled set).
const PlaceLua = NotifyLua + `
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
  if wake then notify(K) end
end
`

// ManyLua defines the Lua function many(cmd, key, list, per): it runs cmd
// key with the elements of list, in chunks small enough for unpack (a
// multiple of per elements each), and concatenates the array replies. It
// also defines countBy(vs, n, missing), byType(K, ids) (the typed ids
// among ids counted per type) and unbusy(K, ids) (the per-type counts of
// leased entries lowered for ids, which are leased).
// Each redis.call costs about as much as the command itself, so the
// scripts batch: one HMGET, ZMSCORE or ZADD for many ids rather than one
// call per id.
const ManyLua = `
local function many(cmd, key, list, per)
  local out, n = {}, #list
  local step = 4000 - (4000 % per)
  for i = 1, n, step do
    local r = redis.call(cmd, key, unpack(list, i, math.min(n, i + step - 1)))
    if type(r) == 'table' then
      for _, v in ipairs(r) do out[#out + 1] = v end
    end
  end
  return out
end
-- countBy counts the values vs[1..n] (a missing one as missing, or left
-- out when missing is nil): c[value] = count, and order lists the values
-- in the order first seen.
local function countBy(vs, n, missing)
  local c, order = {}, {}
  for k = 1, n do
    local v = vs[k] or missing
    if v then
      if not c[v] then
        c[v] = 0
        order[#order + 1] = v
      end
      c[v] = c[v] + 1
    end
  end
  return c, order
end
-- byType counts the typed ids among ids per type: one HINCRBY per type
-- of a batch, not per id.
local function byType(K, ids) return countBy(many('HMGET', K[11], ids, 1), #ids, nil) end
local function unbusy(K, ids)
  if #ids == 0 then return end
  local c, order = byType(K, ids)
  for _, ty in ipairs(order) do
    if redis.call('HINCRBY', K[12], ty, -c[ty]) <= 0 then redis.call('HDEL', K[12], ty) end
  end
end
`

// RoundsLua, after ManyLua, defines the Lua functions rounds and
// placeQueued, on the keys K of a queue (as PlaceLua):
//
// rounds(K, p, ids, owners) makes ids ready at priority p: each gets the
// current round (the lowest score of the ready set, 0 when it is empty)
// when its owner has no ready entry there, else the round after its
// owner's latest; one HMGET and one HSET of the owner rounds, one ZADD,
// and a ZRANGE for the current round when an owner has nothing ready. It
// returns whether the ready set was empty.
//
// placeQueued(K, rq, ro, sq) adds the ready entries rq[p] (owners ro[p])
// of each priority 0..3 with rounds, and the scheduled ones sq (run-at,
// id pairs) with one ZADD. It returns whether waiters may need to hear of
// it: a ready set was empty before (a superset of "all ready sets were
// empty", the only case in which anybody waits), or an entry is the
// earliest scheduled one.
//
// gone(K, p, ids, empty) forgets ids that left the ready set of p (taken
// or removed; the caller removes them): it lowers their owners' counts (an
// HINCRBY per owner for one or two owners, else one HMGET, HSET and HDEL)
// and drops the owners left with none, or deletes the whole owner-rounds
// hash when the ready set is empty (empty true, or nil to ask EXISTS).
//
// removeEntries(K, ids) deletes the entries of ids wherever they are
// (ready, scheduled or leased, with their tokens, types, owners and
// per-type counts) and returns how many were present.
const RoundsLua = `
local function rounds(K, p, ids, os)
  local fk, f, n, r = K[15 + p], {}, {}, {}
  for _, o in ipairs(os) do
    if not n[o] then
      n[o] = 0
      f[#f + 1] = 'n:' .. o
      f[#f + 1] = 'r:' .. o
    end
  end
  local st, fresh = many('HMGET', fk, f, 2), false
  for i = 1, #f, 2 do
    local o = string.sub(f[i], 3)
    n[o], r[o] = tonumber(st[i] or '0'), tonumber(st[i + 1] or '0')
    if n[o] == 0 then fresh = true end
  end
  local cur, empty = 0, false
  if fresh then
    local h = redis.call('ZRANGE', K[p + 1], 0, 0, 'WITHSCORES')
    if h[2] then cur = tonumber(h[2]) else empty = true end
  end
  local add = {}
  for k, id in ipairs(ids) do
    local o = os[k]
    if n[o] > 0 then r[o] = r[o] + 1 else r[o] = cur end
    n[o] = n[o] + 1
    add[#add + 1] = r[o]
    add[#add + 1] = id
  end
  local set = {}
  for i = 1, #f, 2 do
    local o = string.sub(f[i], 3)
    set[#set + 1] = f[i]
    set[#set + 1] = n[o]
    set[#set + 1] = f[i + 1]
    set[#set + 1] = r[o]
  end
  many('HSET', fk, set, 2)
  many('ZADD', K[p + 1], add, 2)
  return empty
end
local function placeQueued(K, rq, ro, sq)
  local wake = false
  for p = 0, 3 do
    if #rq[p] > 0 and rounds(K, p, rq[p], ro[p]) then wake = true end
  end
  if #sq > 0 then
    local h = redis.call('ZRANGE', K[5], 0, 0, 'WITHSCORES')
    local head = h[2] and tonumber(h[2]) or nil
    for i = 1, #sq, 2 do
      if head == nil or sq[i] < head then wake = true; break end
    end
    many('ZADD', K[5], sq, 2)
  end
  return wake
end
local function gone(K, p, ids, empty)
  if #ids == 0 then return end
  local fk = K[15 + p]
  if empty == nil then empty = redis.call('EXISTS', K[p + 1]) == 0 end
  if empty then
    redis.call('DEL', fk)
    return
  end
  local c, order = countBy(many('HMGET', K[14], ids, 1), #ids, '')
  if #order <= 2 then
    for _, o in ipairs(order) do
      if redis.call('HINCRBY', fk, 'n:' .. o, -c[o]) <= 0 then redis.call('HDEL', fk, 'n:' .. o, 'r:' .. o) end
    end
    return
  end
  local f = {}
  for i, o in ipairs(order) do f[i] = 'n:' .. o end
  local have, set, del = many('HMGET', fk, f, 1), {}, {}
  for i, o in ipairs(order) do
    local v = tonumber(have[i] or '0') - c[o]
    if v > 0 then
      set[#set + 1] = f[i]
      set[#set + 1] = v
    else
      del[#del + 1] = f[i]
      del[#del + 1] = 'r:' .. o
    end
  end
  if #set > 0 then many('HSET', fk, set, 2) end
  if #del > 0 then many('HDEL', fk, del, 1) end
end
local function removeEntries(K, ids)
  local ps = many('HMGET', K[7], ids, 1)
  local byp, del, seen = {[0] = {}, {}, {}, {}}, {}, {}
  for k, id in ipairs(ids) do
    if ps[k] and not seen[id] then
      seen[id] = true
      local l = byp[tonumber(ps[k])]
      l[#l + 1] = id
      del[#del + 1] = id
    end
  end
  if #del == 0 then return 0 end
  for p = 0, 3 do
    local l = byp[p]
    if #l > 0 then
      local sc, rd = many('ZMSCORE', K[p + 1], l, 1), {}
      for k, id in ipairs(l) do
        if sc[k] then rd[#rd + 1] = id end
      end
      if #rd > 0 then
        many('ZREM', K[p + 1], rd, 1)
        gone(K, p, rd, nil)
      end
    end
  end
  local sc, held = many('ZMSCORE', K[6], del, 1), {}
  for k, id in ipairs(del) do
    if sc[k] then held[#held + 1] = id end
  end
  unbusy(K, held)
  many('ZREM', K[5], del, 1)
  many('ZREM', K[6], del, 1)
  many('HDEL', K[7], del, 1)
  many('HDEL', K[9], del, 1)
  many('HDEL', K[11], del, 1)
  many('HDEL', K[14], del, 1)
  return #del
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
