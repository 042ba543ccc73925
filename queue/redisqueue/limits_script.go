package redisqueue

// leaseLimitedScript is leaseScript under caps (taskq.Limits). ARGV[2]
// max, ARGV[3] ttl (ms), ARGV[4] promote limit, ARGV[5] random seed,
// ARGV[6] scan (the most ready entries looked at per priority), ARGV[7]
// the queue's concurrency cap (0: none), ARGV[8] 'w' for weighted or 's'
// for strict, ARGV[9..12] weights for LOW..CRITICAL, then ARGV[13..] type,
// concurrency cap (0: none), rate N (0: none), rate period (ms)
// quadruples for the capped types.
//
// After promoting due entries as leaseScript does, it takes up to max
// ready entries in the same order, skipping the ones whose type is at its
// cap (busy hash) or out of start tokens (rate hash), and stops when the
// leased zset holds the queue's cap. The ready sets are read in round
// order in chunks from their heads (ZRANGE by rank, in chunks doubling
// from 64); the entries taken are cut out (ZREM), so skipped entries keep
// their rounds. A bucket
// is written (its refilled tokens less the starts, at now) only when it
// was drawn from. A busy hash left with counts while nothing is leased (a
// key edited by hand, say) is reset. Returns what leaseScript returns.
const leaseLimitedScript = prelude + readyPrelude + `
local max, deadline = tonumber(ARGV[2]), now + tonumber(ARGV[3])
` + promoteDue + `local nleased = redis.call('ZCARD', KEYS[6])
if nleased == 0 then redis.call('DEL', KEYS[12]) end
local room, qcap = max, tonumber(ARGV[7])
if qcap > 0 then room = math.min(room, qcap - nleased) end
if room <= 0 then return {now} end
local scan = tonumber(ARGV[6])
local cap, rate, per, tokens, load = {}, {}, {}, {}, {}
for i = 13, #ARGV, 4 do
  local ty = ARGV[i]
  cap[ty], rate[ty], per[ty] = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  load[#load + 1] = ty
end
local used = {}
if #load > 0 then
  local b = redis.call('HMGET', KEYS[12], unpack(load))
  for k, ty in ipairs(load) do
    used[ty] = tonumber(b[k] or '0')
    if rate[ty] > 0 then
      local st = redis.call('HMGET', KEYS[13], 't:' .. ty, 'a:' .. ty)
      if st[1] and st[2] then
        local t, el = tonumber(st[1]), now - tonumber(st[2])
        if el > 0 then t = t + el * rate[ty] / per[ty] end
        tokens[ty] = math.min(rate[ty], t)
      else
        tokens[ty] = rate[ty]
      end
    end
  end
end
local function allowed(ty)
  if not ty or cap[ty] == nil then return true end
  if cap[ty] > 0 and used[ty] >= cap[ty] then return false end
  if rate[ty] > 0 and tokens[ty] < 1 then return false end
  return true
end
local cand, types, pos, done = {}, {}, {}, {}
for p = 0, 3 do cand[p], types[p], pos[p], done[p] = {}, {}, 1, false end
local function more(p)
  local from = #cand[p]
  local n = math.min(math.max(64, room, from), scan - from)
  if done[p] or n <= 0 then done[p] = true; return false end
  local r = redis.call('ZRANGE', KEYS[p + 1], from, from + n - 1)
  if #r < n then done[p] = true end
  if #r == 0 then return false end
  local ts = many('HMGET', KEYS[11], r, 1)
  for k, id in ipairs(r) do
    cand[p][from + k] = id
    types[p][from + k] = ts[k]
  end
  return true
end
local function head(p)
  while true do
    local i = pos[p]
    if i > #cand[p] and not more(p) then return false end
    if allowed(types[p][i]) then return true end
    pos[p] = i + 1
  end
end
local weighted, w = ARGV[8] == 'w', {}
for p = 0, 3 do w[p] = tonumber(ARGV[9 + p]) end
local x = tonumber(ARGV[5])
local got, lz, taken, last, spent = {}, {}, {}, {}, {}
for p = 0, 3 do taken[p], last[p] = {}, 0 end
while #got < room do
  local pick = -1
  if weighted then
    local total = 0
    for p = 0, 3 do
      if w[p] > 0 and head(p) then total = total + w[p] end
    end
    if total > 0 then
      x = (x * 48271) % 2147483647
      local r = x % total
      for p = 3, 0, -1 do
        if w[p] > 0 and head(p) then
          if r < w[p] then pick = p; break end
          r = r - w[p]
        end
      end
    end
  end
  if pick < 0 then
    for p = 3, 0, -1 do
      if head(p) then pick = p; break end
    end
  end
  if pick < 0 then break end
  local i = pos[pick]
  pos[pick] = i + 1
  local id, ty = cand[pick][i], types[pick][i]
  taken[pick][i] = true
  last[pick] = i
  got[#got + 1] = {id, pick}
  lz[#lz + 1] = deadline
  lz[#lz + 1] = id
  if ty and cap[ty] ~= nil then
    used[ty] = used[ty] + 1
    if rate[ty] > 0 then
      tokens[ty] = tokens[ty] - 1
      spent[ty] = true
    end
  end
end
for p = 0, 3 do
  local rm = {}
  for i = 1, last[p] do
    if taken[p][i] then rm[#rm + 1] = cand[p][i] end
  end
  if #rm > 0 then
    many('ZREM', KEYS[p + 1], rm, 1)
    gone(KEYS, p, rm, nil)
  end
end
if #lz > 0 then many('ZADD', KEYS[6], lz, 2) end
for _, ty in ipairs(load) do
  if spent[ty] then
    redis.call('HSET', KEYS[13], 't:' .. ty, tostring(tokens[ty]), 'a:' .. ty, now)
  end
end
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
