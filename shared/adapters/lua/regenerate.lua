-- Rebuild a home timeline from the followees' own timelines and mark the user active.
-- KEYS: tl, act (the user's slot), then the followees' ut keys. ARGV: cap, act ttl, chunk.
--
-- Bounded: a k-way merge of the newest-first sources through a heap, reading each source
-- `chunk` entries at a time, so a run reads at most cap + k * chunk entries (the client picks
-- chunk ~ 2 * cap / k) instead of unioning every followee's whole timeline (ZUNIONSTORE over
-- 300 followees x 800 entries took seconds of Redis time). The result is the one ZUNIONSTORE +
-- ZRANGESTORE REV 0 cap-1 gave: the newest `cap` entries, ties by member.
-- Cluster (issue 19): the ut keys are the followees' slots: read them per shard, merge in the
-- client, write the user's slot.
local cap, chunk = tonumber(ARGV[1]), tonumber(ARGV[3])
local buf, at, off, last = {}, {}, {}, {}

-- the next chunk of source k into buf[k]; false when it has nothing more
local function fill(k)
  if last[k] then return false end
  local got = redis.call('ZRANGE', KEYS[k + 2], off[k], off[k] + chunk - 1, 'REV', 'WITHSCORES')
  off[k] = off[k] + chunk
  if #got < 2 * chunk then last[k] = true end
  for i = 2, #got, 2 do got[i] = tonumber(got[i]) end
  buf[k], at[k] = got, 1
  return #got > 0
end

-- whether source a's head comes before source b's (newer; same score: larger member)
local function before(a, b)
  local sa, sb = buf[a][at[a] + 1], buf[b][at[b] + 1]
  if sa ~= sb then return sa > sb end
  local ma, mb = buf[a][at[a]], buf[b][at[b]]
  if #ma ~= #mb then return #ma > #mb end
  return ma > mb
end

local heap = {}
local function down(i)
  local n = #heap
  while true do
    local l, r, m = 2 * i, 2 * i + 1, i
    if l <= n and before(heap[l], heap[m]) then m = l end
    if r <= n and before(heap[r], heap[m]) then m = r end
    if m == i then return end
    heap[i], heap[m] = heap[m], heap[i]
    i = m
  end
end

for k = 1, #KEYS - 2 do
  off[k] = 0
  if fill(k) then heap[#heap + 1] = k end
end
for i = math.floor(#heap / 2), 1, -1 do down(i) end

local out, seen = {}, {}
while #out < 2 * cap and #heap > 0 do
  local k = heap[1]
  local m = buf[k][at[k]]
  if not seen[m] then
    seen[m] = true
    out[#out + 1] = buf[k][at[k] + 1]; out[#out + 1] = m
  end
  at[k] = at[k] + 2
  if at[k] > #buf[k] and not fill(k) then
    heap[1] = heap[#heap]; heap[#heap] = nil
  end
  if #heap > 0 then down(1) end
end

redis.call('DEL', KEYS[1])
-- a fresh key created by a ZADD of at most zset-max-listpack-entries entries is a listpack
for i = 1, #out, 1000 do
  redis.call('ZADD', KEYS[1], unpack(out, i, math.min(i + 999, #out)))
end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
return redis.call('ZCARD', KEYS[1])
