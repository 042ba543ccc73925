package redisstore

import (
	"github.com/taskq/taskq/internal/redisconn"
	"github.com/taskq/taskq/internal/redisentry"
)

// Every script gets KEYS[1] = {prefix}:all (which routes it to the store's
// cluster slot) and ARGV[1] = the tag {prefix}; it derives the other key
// names from the tag, so they hash to the same slot:
//
//	{p}:t:<id>      task record (hash, see record.go)
//	{p}:all         every id (zset, score 0: ordered by id bytes)
//	{p}:s:<status>  ids per status (zset, score 0)
//	{p}:y:<type>    ids per type (zset, score 0)
//	{p}:q:<queue>   ids per queue (zset, score 0)
//	{p}:o:<owner>   ids per non-empty owner (zset, score 0)
//	{p}:idem        hash len(owner):owner..key -> id, for tasks with an idempotency key
//	{p}:uniq        hash unique key -> id of the last task created with it (unique.go)
//	{p}:dlq         DLQ members encTime(dead_lettered_at)..id (zset, score 0)
//	{p}:do:<owner>  the DLQ members of one owner ('' included; zset, score 0)
//	{p}:dlqown      owners by number of DLQ entries (zset, score = count)
//	{p}:fin         completed and cancelled tasks: encTime(completed_at)..id
//	                (zset, score 0), for the retention of finished tasks
//	{p}:usage       per-owner counters (hash): a:<owner> tasks pending,
//	                running or failed; m:<owner> metadata bytes (the stored
//	                md field); d:<owner> DLQ entries. Zero counters are
//	                deleted.
//	{p}:counts      record counts (hash): len(queue):queue len(type):type
//	                status -> count (taskq.StatusCounter). Zero counts are
//	                deleted.
//	{p}:pq:<queue>  pending ids of a queue (zset, score = run_at in Unix
//	                microseconds), for the oldest due pending task
//
// Index keys are built inside the scripts because they depend on the
// stored record (a delete does not know the task's type beforehand);
// sharing the tag keeps that legal on Redis Cluster.
const prelude = `
local tag = ARGV[1]
local allKey, idemKey, dlqKey = KEYS[1], tag .. ':idem', tag .. ':dlq'
local usageKey, dlqOwnKey = tag .. ':usage', tag .. ':dlqown'
local finKey = tag .. ':fin'
local function tkey(id) return tag .. ':t:' .. id end
local function active(s) return s == 'pending' or s == 'running' or s == 'failed' end
local function finished(s) return s == 'completed' or s == 'cancelled' end
-- finIndex moves the retention index entry of id from the completion time
-- old (false: none) to new (false: none).
local function finIndex(id, old, new)
  if old == new then return end
  if old then redis.call('ZREM', finKey, old .. id) end
  if new then redis.call('ZADD', finKey, '0', new .. id) end
end
-- count adds n to counter field ('a', 'm' or 'd') of owner o.
local function count(field, o, n)
  if n == 0 then return end
  local f = field .. ':' .. o
  if redis.call('HINCRBY', usageKey, f, n) == 0 then redis.call('HDEL', usageKey, f) end
end
local function dlqOwnerAdd(o, m)
  if redis.call('ZADD', tag .. ':do:' .. o, '0', m) == 1 then
    redis.call('ZINCRBY', dlqOwnKey, '1', o)
    count('d', o, '1')
  end
end
local function dlqOwnerRem(o, m)
  if redis.call('ZREM', tag .. ':do:' .. o, m) == 1 then
    if tonumber(redis.call('ZINCRBY', dlqOwnKey, '-1', o)) <= 0 then redis.call('ZREM', dlqOwnKey, o) end
    count('d', o, '-1')
  end
end
-- tally adds n (a string: the scripts pass their constants as strings,
-- which Redis reads without Lua formatting a number) to the count of
-- queue q, type y, status s (purge; the other scripts defer, see
-- moveLater).
local function countField(f, n)
  if redis.call('HINCRBY', tag .. ':counts', f, n) <= 0 then redis.call('HDEL', tag .. ':counts', f) end
end
local function qy(q, y) return string.len(q) .. ':' .. q .. string.len(y) .. ':' .. y end
local function tally(q, y, s, n) countField(qy(q, y) .. s, n) end
-- pendingScore is the pending zset score of an encTime run-at (an
-- encTime: Unix microseconds with the sign bit flipped): the Unix
-- microseconds.
local function pendingScore(ra)
  return (tonumber(string.sub(ra, 1, 8), 16) - 2147483648) * 4294967296 + tonumber(string.sub(ra, 9), 16)
end
local function pendingRem(q, id) redis.call('ZREM', tag .. ':pq:' .. q, id) end
local function idem(o, k) return string.len(o) .. ':' .. o .. k end
-- Deferred writes, for the scripts that change many tasks (create, start,
-- update):
-- index and counter changes are gathered per key and applied by flush(),
-- all ZREMs, then all ZADDs, then the counters, so a batch of n tasks
-- costs one ZREM or ZADD per key and one HINCRBY per counter field instead
-- of one each per task (each redis.call costs about as much as the command
-- it runs). Between two flushes a task is changed once, and each of its
-- changes touches a different key or member, so their order does not
-- matter. A script that defers flushes before it returns and before it
-- touches a task whose changes are still deferred.
local dRem, dAdd, dInc = {}, {}, {}
local function later(t, k)
  local l = t[k]
  if not l then l = {}; t[k] = l end
  return l
end
local function zremLater(k, m) local l = later(dRem, k); l[#l + 1] = m end
local function zaddLater(k, score, m) local l = later(dAdd, k); l[#l + 1] = score; l[#l + 1] = m end
local function incrLater(k, f, n) local l = later(dInc, k); l[f] = (l[f] or 0) + n end
local function moveLater(q, y, old, new)
  local f = qy(q, y)
  incrLater(tag .. ':counts', f .. old, -1)
  incrLater(tag .. ':counts', f .. new, 1)
end
local function callChunks(cmd, k, l)
  for i = 1, #l, 1000 do redis.call(cmd, k, unpack(l, i, math.min(i + 999, #l))) end
end
local function flush()
  for k, l in pairs(dRem) do callChunks('ZREM', k, l) end
  for k, l in pairs(dAdd) do callChunks('ZADD', k, l) end
  for k, l in pairs(dInc) do
    for f, n in pairs(l) do
      if n ~= 0 then
        local v = redis.call('HINCRBY', k, f, n)
        if v == 0 or (v < 0 and k ~= usageKey) then redis.call('HDEL', k, f) end
      end
    end
  end
  dRem, dAdd, dInc = {}, {}, {}
end
-- purge deletes a record and every index entry of it.
local function purge(id)
  local key = tkey(id)
  local f = redis.call('HMGET', key, 's', 'y', 'q', 'o', 'k', 'dk', 'uk', 'ca')
  if not f[1] then return false end
  if f[8] then redis.call('ZREM', finKey, f[8] .. id) end
  local o = f[4] or ''
  tally(f[3] or '', f[2] or '', f[1], '-1')
  if f[1] == 'pending' then pendingRem(f[3] or '', id) end
  if active(f[1]) then count('a', o, '-1') end
  count('m', o, -redis.call('HSTRLEN', key, 'md'))
  redis.call('DEL', key)
  redis.call('ZREM', allKey, id)
  redis.call('ZREM', tag .. ':s:' .. f[1], id)
  redis.call('ZREM', tag .. ':y:' .. (f[2] or ''), id)
  redis.call('ZREM', tag .. ':q:' .. (f[3] or ''), id)
  if o ~= '' then redis.call('ZREM', tag .. ':o:' .. o, id) end
  if f[5] then
    local m = idem(o, f[5])
    if redis.call('HGET', idemKey, m) == id then redis.call('HDEL', idemKey, m) end
  end
  if f[6] then
    redis.call('ZREM', dlqKey, f[6])
    dlqOwnerRem(o, f[6])
  end
  if f[7] and redis.call('HGET', tag .. ':uniq', f[7]) == id then redis.call('HDEL', tag .. ':uniq', f[7]) end
  return true
end
-- record returns {id, HGETALL} of a task.
local function record(id)
  return {id, redis.call('HGETALL', tkey(id))}
end
`

// createPrelude follows prelude in the scripts that create records.
//
// task(pos) reads the task whose arguments start at ARGV[pos]: id, status,
// type, queue, owner, idempotency key, DLQ member, queue entry (entryArg),
// number of field pairs, pairs (from..to). It returns the task and the
// position of the next.
//
// existing(t) returns the id of the task that keeps t from being stored:
// t's own id when its record exists, the holder of its (owner, idempotency
// key), or false.
//
// insert(t) stores t: the record, its idempotency key and its DLQ entry
// at once; its indexes, counts, its owner's active and metadata counters
// and its pending entry deferred (flush); its retention entry at once. ra,
// md and ca are read from the pairs (no HGET). Last, dispatch(t) notes its
// queue entry for placeEntries() (dispatch.go), or does nothing.
const createPrelude = `
local function task(pos)
  local to = pos + 8 + 2 * tonumber(ARGV[pos + 8])
  return {id = ARGV[pos], s = ARGV[pos + 1], y = ARGV[pos + 2], q = ARGV[pos + 3], o = ARGV[pos + 4],
    k = ARGV[pos + 5], dk = ARGV[pos + 6], e = ARGV[pos + 7], from = pos + 9, to = to}, to + 1
end
local function existing(t)
  if redis.call('EXISTS', tkey(t.id)) == 1 then return t.id end
  if t.k ~= '' then return redis.call('HGET', idemKey, idem(t.o, t.k)) end
  return false
end
local function insert(t)
  local id, s, q, o = t.id, t.s, t.q, t.o
  redis.call('HSET', tkey(id), unpack(ARGV, t.from, t.to))
  if t.k ~= '' then redis.call('HSET', idemKey, idem(o, t.k), id) end
  if t.dk ~= '' then
    redis.call('ZADD', dlqKey, '0', t.dk)
    dlqOwnerAdd(o, t.dk)
  end
  zaddLater(allKey, '0', id)
  zaddLater(tag .. ':s:' .. s, '0', id)
  zaddLater(tag .. ':y:' .. t.y, '0', id)
  zaddLater(tag .. ':q:' .. q, '0', id)
  if o ~= '' then zaddLater(tag .. ':o:' .. o, '0', id) end
  if active(s) then incrLater(usageKey, 'a:' .. o, 1) end
  incrLater(tag .. ':counts', qy(q, t.y) .. s, 1)
  local ra, md, ca = false, 0, false
  for j = t.from, t.to, 2 do
    local f = ARGV[j]
    if f == 'ra' then ra = ARGV[j + 1] elseif f == 'md' then md = string.len(ARGV[j + 1]) elseif f == 'ca' then ca = ARGV[j + 1] end
  end
  if s == 'pending' and ra then zaddLater(tag .. ':pq:' .. q, pendingScore(ra), id) end
  if md > 0 then incrLater(usageKey, 'm:' .. o, md) end
  if finished(s) then finIndex(id, false, ca) end
  dispatch(t)
end
`

// createBody, after the preludes, stores tasks, all or nothing. ARGV[2] is
// the number of tasks, each read by task(). Returns {1} or {0, existing
// record} for the first task whose id or (owner, key) exists. The unique
// create runs it after its own checks (uniqueCheck).
const createBody = `
local n, pos, ts = tonumber(ARGV[2]), 3, {}
for i = 1, n do ts[i], pos = task(pos) end
for _, t in ipairs(ts) do
  local cur = existing(t)
  if cur then return {0, record(cur)} end
end
for _, t in ipairs(ts) do insert(t) end
flush()
placeEntries()
return {1}
`

// createEachBody, after the preludes, stores ARGV[2] tasks, each on its
// own: concurrent CreateTask calls share one run (creates.go). A task is as
// in createBody, without a unique key. Returns one reply per task: {1} when
// stored, {0, existing record} when its id or (owner, idempotency key)
// exists, also when an earlier task of the same run stored it. Records and
// idempotency keys are written at once, so later tasks of the run see
// them; index and counter changes are deferred and applied once per key
// (flush).
const createEachBody = `
local n, pos, out = tonumber(ARGV[2]), 3, {}
for i = 1, n do
  local t
  t, pos = task(pos)
  local cur = existing(t)
  if cur then
    out[i] = {0, record(cur)}
  else
    insert(t)
    out[i] = {1}
  end
end
flush()
placeEntries()
return out
`

// updateBody, after the preludes, applies ARGV[2] updates, in order, each overwriting the
// mutable fields of one task. An update is: id, mode, condition, new
// status, number of field pairs, pairs. The mode is "u" (UpdateTask: the
// condition is the expected statuses joined by ",", or empty for any), "a"
// (UpdateAttempt: the record must be running attempt number condition) or
// "m" (MoveTaskToDeadLetter: the record must not be terminal, nor running
// another attempt than the new attempts field; the condition is the DLQ
// size cap, 0 for none). The pairs' empty values delete their field, the
// last pair is dk. Returns one reply per update: {0} when missing, {2,
// status} on a failed precondition, {1, evicted, owners of the evicted
// entries...} when done. The DLQ cap evicts, one at a time, the oldest
// entry of the owner holding the most entries (never the moved task), or
// the oldest entry when that owner has no other.
//
// Concurrent UpdateTask and UpdateAttempt calls share one script call
// (updates.go), so the index and counter changes are deferred and applied
// once per key for the whole batch.
const updateBody = `
local function updateOne(id, mode, cond, new, from, to)
  local key = tkey(id)
  -- o, q, y, then the current value of every field of the pairs (s, dk,
  -- a and ca among them): only changed fields are written and only present
  -- ones deleted, which keeps the HDEL out of most updates and the
  -- unchanged fields out of the append-only file.
  local fields = {'o', 'q', 'y'}
  for i = from, to, 2 do fields[#fields + 1] = ARGV[i] end
  local vals = redis.call('HMGET', key, unpack(fields))
  local was = {}
  for i = 4, #fields do was[fields[i]] = vals[i] end
  local old = was.s
  if not old then return {0} end
  local owner, q, y = vals[1] or '', vals[2] or '', vals[3] or ''
  local attempts = tonumber(was.a or '0')
  if mode == 'u' then
    if cond ~= '' and not string.find(',' .. cond .. ',', ',' .. old .. ',', 1, true) then return {2, old} end
  elseif mode == 'a' then
    if old ~= 'running' then return {2, old} end
    if attempts ~= tonumber(cond) then return {2, 'running another attempt'} end
  elseif old == 'completed' or old == 'cancelled' or old == 'dead_letter' then
    return {2, old}
  elseif old == 'running' then
    local want = 0
    for i = from, to, 2 do
      if ARGV[i] == 'a' and ARGV[i + 1] ~= '' then want = tonumber(ARGV[i + 1]) end
    end
    if attempts ~= want then return {2, 'running another attempt'} end
  end
  -- The pairs always hold ra and ca (encodeMutable): their new values are
  -- read here, not with an HGET after the HSET.
  local set, del, dk, ra, ca = {}, {}, '', false, false
  for i = from, to, 2 do
    local f, v = ARGV[i], ARGV[i + 1]
    if v == '' then
      if was[f] then del[#del + 1] = f end
    elseif was[f] ~= v then
      set[#set + 1] = f; set[#set + 1] = v
    end
    if f == 'dk' then dk = v elseif f == 'ra' then ra = v ~= '' and v elseif f == 'ca' then ca = v ~= '' and v end
  end
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
  if #del > 0 then redis.call('HDEL', key, unpack(del)) end
  local oldFin, newFin = finished(old) and was.ca, finished(new) and ca
  if oldFin ~= newFin then
    if oldFin then zremLater(finKey, oldFin .. id) end
    if newFin then zaddLater(finKey, '0', newFin .. id) end
  end
  if old ~= new then
    zremLater(tag .. ':s:' .. old, id)
    zaddLater(tag .. ':s:' .. new, '0', id)
    if active(old) ~= active(new) then incrLater(usageKey, 'a:' .. owner, active(new) and 1 or -1) end
    moveLater(q, y, old, new)
    if old == 'pending' then zremLater(tag .. ':pq:' .. q, id) end
    entryDone(q, id, new)
  end
  if new == 'pending' and ra then zaddLater(tag .. ':pq:' .. q, pendingScore(ra), id) end
  if was.dk and was.dk ~= dk then
    redis.call('ZREM', dlqKey, was.dk)
    dlqOwnerRem(owner, was.dk)
  end
  if dk ~= '' then
    redis.call('ZADD', dlqKey, '0', dk)
    dlqOwnerAdd(owner, dk)
  end
  local out = {1, 0}
  if mode == 'm' then
    -- purge writes at once: nothing of this batch may still be deferred.
    flush()
    local max = tonumber(cond)
    local excess = max > 0 and redis.call('ZCARD', dlqKey) - max or 0
    local function oldestOther(k)
      for _, m in ipairs(redis.call('ZRANGE', k, 0, 1)) do
        local v = string.sub(m, 17)
        if v ~= id then return v end
      end
      return nil
    end
    while excess > 0 do
      excess = excess - 1
      local victim = nil
      local top = redis.call('ZREVRANGE', dlqOwnKey, 0, 0)[1]
      if top then victim = oldestOther(tag .. ':do:' .. top) end
      if not victim then victim = oldestOther(dlqKey) end
      if not victim then break end
      local o = redis.call('HGET', tkey(victim), 'o') or ''
      if purge(victim) then
        out[2] = out[2] + 1
        out[#out + 1] = o
      end
    end
  end
  return out
end
local n, pos, out, seen = tonumber(ARGV[2]), 3, {}, {}
for i = 1, n do
  local id, np = ARGV[pos], tonumber(ARGV[pos + 4])
  -- A task updated twice in one batch: its first update's deferred
  -- changes go out before the second reads the record.
  if seen[id] then flush(); seen = {} end
  seen[id] = true
  out[i] = updateOne(id, ARGV[pos + 1], ARGV[pos + 2], ARGV[pos + 3], pos + 5, pos + 4 + 2 * np)
  pos = pos + 5 + 2 * np
end
flush()
removeDone()
return out
`

// startScript marks the startable tasks among ARGV[3..] running at
// ARGV[2] (encoded time), adds one attempt, and returns their ids.
// StartTasks runs it in a transaction (MULTI/EXEC) followed by an HGETALL
// of every id: the records come back as plain replies, which costs the
// server less than a Lua table of each record built and converted back
// (12 against 5 µs per record of 20 fields, measured).
const startScript = prelude + `
local at, out, seen = ARGV[2], {}, {}
for i = 3, #ARGV do
  local id = ARGV[i]
  if not seen[id] then
    seen[id] = true
    local key = tkey(id)
    local f = redis.call('HMGET', key, 's', 'q', 'y', 'a')
    local s = f[1]
    if s == 'pending' or s == 'failed' or s == 'running' then
      local a = tonumber(f[4] or '0')
      if not a then
        flush() -- the tasks before this one are started: keep their indexes right
        return redis.error_reply('task ' .. id .. ': attempts is not a number')
      end
      redis.call('HSET', key, 's', 'running', 'sa', at, 'u', at, 'a', a + 1)
      if s ~= 'running' then
        zremLater(tag .. ':s:' .. s, id)
        zaddLater(tag .. ':s:running', '0', id)
        moveLater(f[2] or '', f[3] or '', s, 'running')
        if s == 'pending' then zremLater(tag .. ':pq:' .. (f[2] or ''), id) end
      end
      out[#out + 1] = id
    end
  end
end
flush()
return out
`

// deleteBody, after the preludes, purges task ARGV[2]; with ARGV[3] = "dlq" only when it is
// a dead letter. Returns 1 when purged.
const deleteBody = `
local id = ARGV[2]
if ARGV[3] == 'dlq' and redis.call('HGET', tkey(id), 's') ~= 'dead_letter' then return 0 end
local q = redis.call('HGET', tkey(id), 'q') or ''
if not purge(id) then return 0 end
entryDone(q, id, 'cancelled')
removeDone()
return 1
`

// cleanupScript purges up to ARGV[3] DLQ entries whose member sorts before
// ARGV[2] (an encoded time) and returns how many.
const cleanupScript = prelude + `
local ms = redis.call('ZRANGEBYLEX', dlqKey, '-', '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(ms) do
  if not purge(string.sub(m, 17)) then redis.call('ZREM', dlqKey, m) end
end
return #ms
`

// deleteFinishedScript purges up to ARGV[3] completed or cancelled tasks
// whose completion time sorts before ARGV[2] (an encoded time), oldest
// first. An index entry that no longer matches its record (changed since)
// is dropped without touching the record. Returns {purged, entries read}.
const deleteFinishedScript = prelude + `
local ms = redis.call('ZRANGEBYLEX', finKey, '-', '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local n = 0
for _, m in ipairs(ms) do
  local id = string.sub(m, 17)
  local f = redis.call('HMGET', tkey(id), 's', 'ca')
  if f[1] and finished(f[1]) and f[2] == string.sub(m, 1, 16) and purge(id) then
    n = n + 1
  else
    redis.call('ZREM', finKey, m)
  end
end
return {n, #ms}
`

// lessTime compares two encTime strings numerically in two 32-bit halves
// (Lua numbers are doubles; string comparison would follow the locale).
const lessTime = `
local function lessTime(a, b)
  local ah, bh = tonumber(string.sub(a, 1, 8), 16), tonumber(string.sub(b, 1, 8), 16)
  if ah ~= bh then return ah < bh end
  return tonumber(string.sub(a, 9), 16) < tonumber(string.sub(b, 9), 16)
end
`

// listScript lists tasks newest first. ARGV: tag, after id ("" = from the
// newest), want (matches to return), budget (ids to examine), statuses
// (joined by ","), type, priority ("" = any), owner, queue, updated-before
// bound (encTimeCeil, "" = none). It picks the smallest index among those
// the filter allows (all ids; the union of the status indexes; the type,
// queue or owner index), walks it down from after, and filters by the
// other attributes with one HMGET per id. Returns {state, cursor,
// records...}: state 0 when the index is exhausted, 1 when a further match
// exists (the cursor is then empty: the caller continues after its last
// record), 2 when the budget ran out (cursor = the last id examined).
const listScript = prelude + lessTime + `
local after, want, budget = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local sts, ty, pr, ow, qu, ub = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local stset, stkeys = {}, {}
for s in string.gmatch(sts, '[^,]+') do
  if not stset[s] then stset[s] = true; stkeys[#stkeys + 1] = tag .. ':s:' .. s end
end
local best, bestN = {allKey}, redis.call('ZCARD', allKey)
local function consider(ks)
  local n = 0
  for _, k in ipairs(ks) do n = n + redis.call('ZCARD', k) end
  if n < bestN then best, bestN = ks, n end
end
if #stkeys > 0 then consider(stkeys) end
if ty ~= '' then consider({tag .. ':y:' .. ty}) end
if qu ~= '' then consider({tag .. ':q:' .. qu}) end
if ow ~= '' then consider({tag .. ':o:' .. ow}) end
if bestN == 0 then return {0, ''} end
local max = after == '' and '+' or '(' .. after
local ids, more = {}, false
if #best == 1 then
  ids = redis.call('ZREVRANGEBYLEX', best[1], max, '-', 'LIMIT', 0, budget)
  more = #ids == budget
else
  for _, k in ipairs(best) do
    local part = redis.call('ZREVRANGEBYLEX', k, max, '-', 'LIMIT', 0, budget)
    if #part == budget then more = true end
    for _, id in ipairs(part) do ids[#ids + 1] = id end
  end
  table.sort(ids, function(a, b) return a > b end)
  if #ids > budget then
    more = true
    for i = #ids, budget + 1, -1 do ids[i] = nil end
  end
end
local out, found = {0, ''}, 0
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', tkey(id), 's', 'y', 'p', 'o', 'q', 'u')
  if f[1] and (#stkeys == 0 or stset[f[1]]) and (ty == '' or f[2] == ty)
    and (pr == '' or (f[3] or '0') == pr) and (ow == '' or f[4] == ow)
    and (qu == '' or f[5] == qu) and (ub == '' or lessTime(f[6], ub)) then
    if found == want then
      out[1] = 1
      return out
    end
    found = found + 1
    out[#out + 1] = record(id)
  end
end
if more and #ids > 0 then
  out[1], out[2] = 2, ids[#ids]
end
return out
`

// dlqListScript lists DLQ entries oldest first. ARGV: tag, after member
// ("" = from the oldest), want, budget, type ("" = any). Returns like
// listScript, the cursor being a DLQ member.
const dlqListScript = prelude + `
local after, want, budget, ty = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local min = after == '' and '-' or '(' .. after
local ms = redis.call('ZRANGEBYLEX', dlqKey, min, '+', 'LIMIT', 0, budget)
local out, found = {0, ''}, 0
for _, m in ipairs(ms) do
  local id = string.sub(m, 17)
  if ty == '' or redis.call('HGET', tkey(id), 'y') == ty then
    if found == want then
      out[1] = 1
      return out
    end
    found = found + 1
    out[#out + 1] = record(id)
  end
end
if #ms == budget and #ms > 0 then
  out[1], out[2] = 2, ms[#ms]
end
return out
`

// progressScript stores progress JSON ARGV[4] (field pg) on task ARGV[2]
// while it runs attempt ARGV[3]. Returns {1} when stored, {0} when the
// task is missing, {2, status, attempts} otherwise.
const progressScript = `
local key = ARGV[1] .. ':t:' .. ARGV[2]
local f = redis.call('HMGET', key, 's', 'a')
if not f[1] then return {0} end
if f[1] ~= 'running' or tonumber(f[2] or '0') ~= tonumber(ARGV[3]) then return {2, f[1], f[2] or '0'} end
redis.call('HSET', key, 'pg', ARGV[4])
return {1}
`

// The scripts, sent with EVALSHA and, after NOSCRIPT (a restarted or new
// server), EVAL, which rueidis does (start.go does it for the start script,
// which runs inside a transaction). None is retried by the client.
var (
	luaStart    = redisconn.NewScript(startScript)
	luaCleanup  = redisconn.NewScript(cleanupScript)
	luaFinished = redisconn.NewScript(deleteFinishedScript)
	luaList     = redisconn.NewScript(listScript)
	luaDLQList  = redisconn.NewScript(dlqListScript)
	luaProgress = redisconn.NewScript(progressScript)

	// The scripts that write queue entries when the store dispatches
	// (dispatch.go), as a store that does not and one that does runs them.
	plainScripts    = newEntryScripts(noDispatchPrelude)
	dispatchScripts = newEntryScripts(redisentry.ManyLua + redisentry.NotifyLua + redisentry.RoundsLua + redisentry.KeysLua + dispatchPrelude)
)

// entryScripts are the scripts that write queue entries when the store
// dispatches: those that create records, all or nothing (createBody), each
// on its own (createEachBody) and all or nothing with unique keys
// (uniqueCheck), and those that finish or delete them (updateBody,
// deleteBody).
type entryScripts struct{ all, each, unique, update, delete *redisconn.Script }

func newEntryScripts(dispatch string) *entryScripts {
	head := prelude + dispatch
	return &entryScripts{
		all:    redisconn.NewScript(head + createPrelude + createBody),
		each:   redisconn.NewScript(head + createPrelude + createEachBody),
		unique: redisconn.NewScript(head + createPrelude + uniqueCheck + createBody),
		update: redisconn.NewScript(head + updateBody),
		delete: redisconn.NewScript(head + deleteBody),
	}
}

// scripts returns the entry scripts the store runs.
func (s *Store) scripts() *entryScripts {
	if s.dispatching() {
		return dispatchScripts
	}
	return plainScripts
}
