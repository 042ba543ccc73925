package redisqueue

import (
	"github.com/taskq/taskq/internal/redisconn"
	"github.com/taskq/taskq/internal/redisentry"
)

// Every script receives the keys of one queue in this order (see keys.go):
//
//	KEYS[1..4] ready zsets for LOW, MEDIUM, HIGH, CRITICAL (score = round,
//	           see "Fair sharing" in the package doc: ZADD, ZPOPMIN)
//	KEYS[5]    scheduled zset (score = run-at, ms)
//	KEYS[6]    leased zset (score = lease deadline, ms)
//	KEYS[7]    entries hash (id -> priority digit): present while queued
//	KEYS[8]    notification channel (sharded pub/sub when the server has it)
//	KEYS[9]    tokens hash (id -> token of its current lease): present while leased
//	KEYS[10]   token counter (INCRBY): every lease gets a token never used before
//	KEYS[11]   types hash (id -> task type): present while queued, for typed entries
//	KEYS[12]   busy hash (type -> number of leased entries of the type)
//	KEYS[13]   rate hash ('t:'type -> tokens, 'a:'type -> ms of the last start)
//	KEYS[14]   owners hash (id -> owner): present while queued, for entries with an owner
//	KEYS[15..18] owner rounds of LOW..CRITICAL ('n:'owner -> number of its ready
//	           entries, 'r:'owner -> its latest round): owners with ready entries only
//
// ARGV[1] is always the current time in milliseconds, or 0 to take it from
// the Redis server (TIME): by default every process reads the one clock of
// the server, so that promotion and lease expiry do not depend on the
// clocks of the workers.

// prelude defines the helpers shared by the scripts. Each redis.call costs
// about as much as the command itself, so the scripts batch: one HMGET,
// ZMSCORE or ZADD for many ids rather than one call per id.
//
// many(cmd, key, list, per) is redisentry's (ManyLua).
const prelude = `
local now = tonumber(ARGV[1])
if now <= 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- pinField keeps the tokens hash out of Redis's compact encoding
-- (listpack, used while a hash has at most hash-max-listpack-entries
-- fields, 128 or 512, and no value longer than hash-max-listpack-value, 64
-- bytes): a listpack is scanned from the start for every field set, read
-- or deleted, and the hash of a busy queue holds a few hundred leases, so
-- a lease or an ack of 100 ids cost 100-250 µs in HSET, HMGET and HDEL
-- alone. A value longer than the limit makes it a hash table for good. The
-- field is no task id the queue hands out a token for: an entry with this
-- very id would only overwrite it (no lease is ever held by it, since its
-- value is no token).
local pinField, pinValue = '\0pin', string.rep('-', 128)
` + redisentry.ManyLua + `
local function grant(ids)
  if #ids == 0 then return {} end
  redis.call('HSETNX', KEYS[9], pinField, pinValue)
  local base = redis.call('INCRBY', KEYS[10], #ids) - #ids
  local set, toks = {}, {}
  for i, id in ipairs(ids) do
    toks[i] = base + i
    set[#set + 1] = id
    set[#set + 1] = toks[i]
  end
  many('HSET', KEYS[9], set, 2)
  return toks
end
local function held(ids, toks)
  local sc = many('ZMSCORE', KEYS[6], ids, 1)
  local have = many('HMGET', KEYS[9], ids, 1)
  local ok = {}
  for k = 1, #ids do
    ok[k] = sc[k] and (toks[k] == '0' or have[k] == toks[k]) or false
  end
  return ok
end
local function busy(ids)
  if #ids == 0 then return end
  local c, order = byType(KEYS, ids)
  for _, ty in ipairs(order) do redis.call('HINCRBY', KEYS[12], ty, c[ty]) end
end
local function pairs2(from)
  local ids, toks = {}, {}
  for i = from, #ARGV, 2 do
    ids[#ids + 1] = ARGV[i]
    toks[#toks + 1] = ARGV[i + 1]
  end
  return ids, toks
end
local function rest(from)
  local l = {}
  for i = from, #ARGV do l[#l + 1] = ARGV[i] end
  return l
end
`

// readyPrelude follows prelude in the scripts that make entries ready or
// take them out of the ready sets (not extend, ack, reap: fewer closures).
//
// place(id, p, at, owner) queues an entry for flush(): ready (at <= now)
// or scheduled. flush(quiet) adds ready entries with rounds(), one ZADD per
// priority, and scheduled ones with one ZADD, and, unless quiet, publishes
// once when waiters may need to hear of it: a ready set was empty before
// (a superset of "all ready sets were empty", the only case in which
// anybody waits), or an entry is the earliest scheduled one.
//
// rounds(K, p, ids, owners) is redisentry's (RoundsLua), called with
// K = KEYS.
//
// gone(K, p, ids, empty) is redisentry's (RoundsLua), called with K =
// KEYS.
//
// nowhere(ids, ps) tells, for ids present in the entries hash with
// priorities ps, which are neither ready, scheduled nor leased: ids left
// behind by an older key layout (the ready lists of earlier versions) or
// by a lost key; enqueue and requeue place them again.
const readyPrelude = `
` + redisentry.NotifyLua + redisentry.RoundsLua + `
local function nowhere(ids, ps)
  local out, byp = {}, {[0] = {}, {}, {}, {}}
  local s, l = many('ZMSCORE', KEYS[5], ids, 1), many('ZMSCORE', KEYS[6], ids, 1)
  for k = 1, #ids do
    out[k] = not s[k] and not l[k]
    local b = byp[tonumber(ps[k])]
    if out[k] and b then b[#b + 1] = k end
  end
  for p = 0, 3 do
    local b = byp[p]
    if #b > 0 then
      local q = {}
      for i, k in ipairs(b) do q[i] = ids[k] end
      local sc = many('ZMSCORE', KEYS[p + 1], q, 1)
      for i, k in ipairs(b) do
        if sc[i] then out[k] = false end
      end
    end
  end
  return out
end
local rq, ro, sq = {[0] = {}, {}, {}, {}}, {[0] = {}, {}, {}, {}}, {}
local function place(id, p, at, o)
  if at > now then
    sq[#sq + 1] = at
    sq[#sq + 1] = id
  else
    local l, lo = rq[p], ro[p]
    l[#l + 1] = id
    lo[#lo + 1] = o
  end
end
local function flush(quiet)
  if placeQueued(KEYS, rq, ro, sq) and not quiet then notify(KEYS) end
end
`

// enqueueScript: ARGV[2..] = id, priority, run-at (ms), type (empty for
// none), owner (empty for none) quintuples. Ids already present (or
// repeated in the call) are left untouched, unless they are placed nowhere
// (see nowhere): those are placed again with their stored priority and
// owner. Returns the number placed. A new single entry takes a short path
// before the prelude (whose closures cost as much as a command): HSETNX,
// then HMGET of its owner's rounds, ZRANGE for the current round when the
// owner has no ready entry, HSET of the owner's rounds and ZADD (or ZADD
// to scheduled); an id already present goes on to the general path.
const enqueueScript = redisentry.PlaceLua + `
if #ARGV == 6 and redis.call('HSETNX', KEYS[7], ARGV[2], ARGV[3]) == 1 then
  local now = tonumber(ARGV[1])
  if now <= 0 then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  placeNew(KEYS, now, ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6])
  return 1
end
` + prelude + readyPrelude + `
local ids = {}
for i = 2, #ARGV, 5 do ids[#ids + 1] = ARGV[i] end
local have = many('HMGET', KEYS[7], ids, 1)
local back, bp, lost = {}, {}, {}
for k, id in ipairs(ids) do
  if have[k] then
    back[#back + 1] = id
    bp[#bp + 1] = have[k]
  end
end
if #back > 0 then
  local nw, lb = nowhere(back, bp), {}
  for k, id in ipairs(back) do
    if nw[k] then lb[#lb + 1] = id end
  end
  if #lb > 0 then
    local os = many('HMGET', KEYS[14], lb, 1)
    for k, id in ipairs(lb) do lost[id] = os[k] or true end
  end
end
local set, ts, os, seen, placed = {}, {}, {}, {}, 0
for k, id in ipairs(ids) do
  if not seen[id] and (not have[k] or lost[id]) then
    seen[id] = true
    placed = placed + 1
    local i = 5 * k - 3
    local p, o = ARGV[i + 1], ARGV[i + 4]
    if have[k] then
      p = have[k]
      if lost[id] ~= true then o = lost[id] end
    else
      set[#set + 1] = id
      set[#set + 1] = p
      if ARGV[i + 3] ~= '' then
        ts[#ts + 1] = id
        ts[#ts + 1] = ARGV[i + 3]
      end
    end
    if o ~= '' and lost[id] ~= o then
      os[#os + 1] = id
      os[#os + 1] = o
    end
    place(id, tonumber(p), tonumber(ARGV[i + 2]), o)
  end
end
if placed > 0 then
  if #set > 0 then many('HSET', KEYS[7], set, 2) end
  if #ts > 0 then many('HSET', KEYS[11], ts, 2) end
  if #os > 0 then many('HSET', KEYS[14], os, 2) end
  flush(false)
end
return placed
`

// requeueScript: ARGV[2] id, ARGV[3] priority, ARGV[4] run-at (ms), ARGV[5]
// lease token ("0": any), ARGV[6] type and ARGV[7] owner (empty for none;
// recorded only for an id enqueued here, or, for the owner, when none
// was: an entry queued by an earlier version). A leased id goes back with
// its stored priority and owner; with a token, only if it is leased under that
// token (otherwise nothing happens); without one an absent id is enqueued.
// An id already ready or scheduled is left alone; one placed nowhere (see
// nowhere) is placed again. Returns 1 when placed.
const requeueScript = prelude + readyPrelude + `
local id, p, tok, o = ARGV[2], ARGV[3], ARGV[5], ARGV[7]
if tok ~= '0' then
  if not redis.call('ZSCORE', KEYS[6], id) or redis.call('HGET', KEYS[9], id) ~= tok then return 0 end
end
redis.call('HDEL', KEYS[9], id)
if redis.call('ZSCORE', KEYS[6], id) then
  unbusy(KEYS, {id})
  redis.call('ZREM', KEYS[6], id)
  local stored = redis.call('HGET', KEYS[7], id)
  if stored then p = stored else redis.call('HSET', KEYS[7], id, p) end
  stored = redis.call('HGET', KEYS[14], id)
  if stored then o = stored elseif o ~= '' then redis.call('HSET', KEYS[14], id, o) end
elseif redis.call('HSETNX', KEYS[7], id, p) == 0 then
  p = redis.call('HGET', KEYS[7], id)
  if not nowhere({id}, {p})[1] then return 0 end
  local stored = redis.call('HGET', KEYS[14], id)
  if stored then o = stored elseif o ~= '' then redis.call('HSET', KEYS[14], id, o) end
else
  if ARGV[6] ~= '' then redis.call('HSET', KEYS[11], id, ARGV[6]) end
  if o ~= '' then redis.call('HSET', KEYS[14], id, o) end
end
place(id, tonumber(p), tonumber(ARGV[4]), o)
flush(false)
return 1
`

// promoteDue is the first step of the lease scripts: it moves the due
// scheduled entries (earliest first, at most ARGV[4]) to their ready sets,
// where they get rounds.
const promoteDue = `local due = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
if #due > 0 then
  local ps, os = many('HMGET', KEYS[7], due, 1), many('HMGET', KEYS[14], due, 1)
  for k, id in ipairs(due) do
    if ps[k] then place(id, tonumber(ps[k]), now, os[k] or '') end
  end
  many('ZREM', KEYS[5], due, 1)
  flush(true)
end
`

// leaseScript: ARGV[2] max, ARGV[3] ttl (ms), ARGV[4] promote limit,
// ARGV[5] random seed, ARGV[6..9] optional weights for LOW..CRITICAL.
// Promotes due scheduled entries (earliest first, at most the limit), then
// pops up to max ready entries (strict: CRITICAL first, by round inside a
// priority; weighted: each slot drawn among non-empty priorities in
// proportion to their weights, zero-weight priorities only when nothing
// else is ready) and leases them until now+ttl, each under a new token.
// Returns id, priority, token triples followed by the time used (ms).
const leaseScript = prelude + readyPrelude + `
local max, deadline = tonumber(ARGV[2]), now + tonumber(ARGV[3])
` + promoteDue + `local got, lz = {}, {}
local function take(p, n)
  local r, ids = redis.call('ZPOPMIN', KEYS[p + 1], n), {}
  for i = 1, #r, 2 do
    local id = r[i]
    ids[#ids + 1] = id
    lz[#lz + 1] = deadline
    lz[#lz + 1] = id
    got[#got + 1] = {id, p}
  end
  gone(KEYS, p, ids, #ids < n)
  return #ids
end
if #ARGV < 9 then
  local left = max
  for p = 3, 0, -1 do
    if left <= 0 then break end
    left = left - take(p, left)
  end
else
  local cnt, w, want = {}, {}, {}
  for p = 0, 3 do
    cnt[p] = redis.call('ZCARD', KEYS[p + 1])
    w[p] = tonumber(ARGV[6 + p])
    want[p] = 0
  end
  local x = tonumber(ARGV[5])
  for _ = 1, max do
    local total, pick = 0, -1
    for p = 0, 3 do
      if cnt[p] > 0 and w[p] > 0 then total = total + w[p] end
    end
    if total > 0 then
      x = (x * 48271) % 2147483647
      local r = x % total
      for p = 3, 0, -1 do
        if cnt[p] > 0 and w[p] > 0 then
          if r < w[p] then pick = p; break end
          r = r - w[p]
        end
      end
    else
      for p = 3, 0, -1 do
        if cnt[p] > 0 then pick = p; break end
      end
    end
    if pick < 0 then break end
    cnt[pick] = cnt[pick] - 1
    want[pick] = want[pick] + 1
  end
  for p = 3, 0, -1 do
    if want[p] > 0 then take(p, want[p]) end
  end
end
if #lz > 0 then many('ZADD', KEYS[6], lz, 2) end
local ids, out = {}, {}
for i, g in ipairs(got) do ids[i] = g[1] end
busy(ids)
local toks = grant(ids)
for i, g in ipairs(got) do
  out[#out + 1] = g[1]
  out[#out + 1] = g[2]
  out[#out + 1] = toks[i]
end
out[#out + 1] = now
return out
`

// extendScript: ARGV[2] ttl (ms), ARGV[3..] id, token pairs. Moves the
// deadline of the ids leased under their token ("0": any) to now+ttl;
// returns the id, token pairs that are not.
const extendScript = prelude + `
local deadline = now + tonumber(ARGV[2])
local ids, toks = pairs2(3)
local ok = held(ids, toks)
local lost, upd = {}, {}
for k, id in ipairs(ids) do
  if ok[k] then
    upd[#upd + 1] = deadline
    upd[#upd + 1] = id
  else
    lost[#lost + 1] = id
    lost[#lost + 1] = toks[k]
  end
end
if #upd > 0 then many('ZADD', KEYS[6], upd, 2) end
return lost
`

// ackScript: ARGV[2..] id, token pairs. Removes the ids leased under their
// token ("0": any) for good; returns how many.
const ackScript = `
if #ARGV == 3 then
  local id, tok = ARGV[2], ARGV[3]
  if tok ~= '0' and redis.call('HGET', KEYS[9], id) ~= tok then return 0 end
  if redis.call('ZREM', KEYS[6], id) == 0 then return 0 end
  redis.call('HDEL', KEYS[7], id)
  redis.call('HDEL', KEYS[9], id)
  redis.call('HDEL', KEYS[14], id)
  local ty = redis.call('HGET', KEYS[11], id)
  if ty then
    redis.call('HDEL', KEYS[11], id)
    if redis.call('HINCRBY', KEYS[12], ty, '-1') <= 0 then redis.call('HDEL', KEYS[12], ty) end
  end
  return 1
end
` + prelude + `
local ids, toks = pairs2(2)
local ok = held(ids, toks)
local del = {}
for k, id in ipairs(ids) do
  if ok[k] then del[#del + 1] = id end
end
if #del > 0 then
  unbusy(KEYS, del)
  many('ZREM', KEYS[6], del, 1)
  many('HDEL', KEYS[7], del, 1)
  many('HDEL', KEYS[9], del, 1)
  many('HDEL', KEYS[11], del, 1)
  many('HDEL', KEYS[14], del, 1)
end
return #del
`

// removeScript: ARGV[2..] ids. Deletes ids wherever they are; returns how
// many were present.
const removeScript = prelude + readyPrelude + `
return removeEntries(KEYS, rest(2))
`

// reapScript: ARGV[2] max, ARGV[3] ttl (ms). Leases again, until now+ttl
// and under new tokens, up to max ids whose deadline is not after now
// (earliest first); returns id, priority, token triples followed by the
// time used (ms).
const reapScript = prelude + `
local expired = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
if #expired == 0 then return {now} end
local deadline = now + tonumber(ARGV[3])
local ps = many('HMGET', KEYS[7], expired, 1)
local toks = grant(expired)
local upd, out = {}, {}
for k, id in ipairs(expired) do
  upd[#upd + 1] = deadline
  upd[#upd + 1] = id
  out[#out + 1] = id
  out[#out + 1] = tonumber(ps[k] or '1')
  out[#out + 1] = toks[k]
end
many('ZADD', KEYS[6], upd, 2)
out[#out + 1] = now
return out
`

// The scripts, loaded once per server (EVALSHA, falling back to EVAL on
// NOSCRIPT). None is marked retryable: a lease or reap whose reply is lost
// must not run twice behind the caller's back; callers retry on
// taskq.ErrUnavailable.
var (
	luaEnqueue = redisconn.NewScript(enqueueScript)
	luaRequeue = redisconn.NewScript(requeueScript)
	luaLease   = redisconn.NewScript(leaseScript)
	luaExtend  = redisconn.NewScript(extendScript)
	luaAck     = redisconn.NewScript(ackScript)
	luaRemove  = redisconn.NewScript(removeScript)
	luaReap    = redisconn.NewScript(reapScript)

	luaLeaseLimited = redisconn.NewScript(leaseLimitedScript)
)
