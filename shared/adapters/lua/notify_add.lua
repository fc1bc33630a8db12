-- One activity into one recipient's notifications (shared/adapters/redis_notifications.py).
-- KEYS[1] nz:{uid}  zset   group id -> seq of its latest activity (newest = highest)
-- KEYS[2] ng:{uid}  hash   group id -> compact JSON row (shared.domain.notifications)
-- KEYS[3] nh:{uid}:<gid> HLL distinct actors of a grouped row (untouched for other kinds)
-- KEYS[4] nm:{uid}  hash   seq (counter), read (read mark), ok (loaded: present or rebuilt)
-- ARGV: gid, actor, kind, post ("" none), subject ("" none), at_ms, grouped (1/0), cap,
--       ttl_s, now_ms, flush_ms, max_actors, flush_upto
-- Returns {-1} when the recipient's rows are not loaded (rebuild first: a Redis that lost them
-- must not start a new sequence below the durable copy's), {0} for an actor the row already
-- counts (a redelivery: nothing changes), else {1, seq, flush, row, hll}: flush = 1 when the
-- durable copy is due: a row of at most flush_upto actors always is (exact), a bigger one
-- when flush_ms passed since its last copy (a hot row: one write per flush_ms, not per like).
local zkey, gkey, hkey, mkey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local gid, actor, kind, post, subject = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local at_ms = tonumber(ARGV[6])
local grouped = ARGV[7] == '1'
local cap, ttl, now = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local flush_ms, max_actors, flush_upto = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])

if redis.call('HEXISTS', mkey, 'ok') == 0 then
  return {-1}
end
local raw = redis.call('HGET', gkey, gid)
local fresh
if grouped then
  fresh = redis.call('PFADD', hkey, actor)
  redis.call('EXPIRE', hkey, ttl)
else
  if raw then fresh = 0 else fresh = 1 end
end
if fresh == 0 then
  return {0}
end

local row
if raw then
  row = cjson.decode(raw)
else
  row = {k = kind, t = 0, f = 0}
  if post ~= '' then row.p = post end
  if subject ~= '' then row.s = subject end
end
-- The newest actors by the time of their activity, not by arrival: Pub/Sub may deliver three
-- likes out of order. row.m holds each shown actor's ms (a row written before it had none:
-- its actors count as older).
local times = row.m or {}
local actors, ms = {}, {}
local placed = false
for i, a in ipairs(row.a or {}) do
  if a ~= actor then
    local t = tonumber(times[i]) or 0
    if not placed and at_ms >= t then
      actors[#actors + 1] = actor
      ms[#ms + 1] = at_ms
      placed = true
    end
    actors[#actors + 1] = a
    ms[#ms + 1] = t
  end
end
if not placed then
  actors[#actors + 1] = actor
  ms[#ms + 1] = at_ms
end
while #actors > max_actors do
  table.remove(actors)
  table.remove(ms)
end
row.a = actors
row.m = ms
if grouped then row.n = redis.call('PFCOUNT', hkey) else row.n = 1 end
if at_ms > (row.t or 0) then row.t = at_ms end
local seq = redis.call('HINCRBY', mkey, 'seq', 1)
row.q = seq
local flush = 0
if (not raw) or row.n <= flush_upto or now - (row.f or 0) >= flush_ms then
  flush = 1
  row.f = now
end
local enc = cjson.encode(row)
redis.call('HSET', gkey, gid, enc)
redis.call('ZADD', zkey, seq, gid)
local extra = redis.call('ZCARD', zkey) - cap
if extra > 0 then
  local old = redis.call('ZRANGE', zkey, 0, extra - 1)
  redis.call('ZREMRANGEBYRANK', zkey, 0, extra - 1)
  redis.call('HDEL', gkey, unpack(old))
end
redis.call('EXPIRE', zkey, ttl)
redis.call('EXPIRE', gkey, ttl)
redis.call('EXPIRE', mkey, ttl)
local hll = false
if grouped and flush == 1 then hll = redis.call('GET', hkey) end
return {1, seq, flush, enc, hll}
