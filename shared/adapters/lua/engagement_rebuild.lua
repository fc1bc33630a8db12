-- Make a post's counters complete (KEYS[1] = en:{pid}): merge the records the store holds
-- (ARGV: field, signed version, ... — newest version wins, as in engagement_apply.lua), then
-- count the members that are on and mark the counts complete (`ok`). With no ARGV it completes
-- the counts of a new post from whatever switches arrived first. Returns {likes, replies,
-- reposts}. O(members): a rebuild after a Redis loss or a post's first use, never per like.
local h = KEYS[1]
for i = 1, #ARGV, 2 do
  local old = tonumber(redis.call('HGET', h, ARGV[i]) or '0')
  local v = tonumber(ARGV[i + 1])
  if math.abs(old) < math.abs(v) then redis.call('HSET', h, ARGV[i], v) end
end
local n = {l = 0, r = 0, p = 0}
local all = redis.call('HGETALL', h)
for i = 1, #all, 2 do
  local k = string.sub(all[i], 1, 1)
  if string.sub(all[i], 2, 2) == ':' and n[k] ~= nil and tonumber(all[i + 1]) > 0 then
    n[k] = n[k] + 1
  end
end
redis.call('HSET', h, 'l', n.l, 'r', n.r, 'p', n.p, 'ok', 1)
return {n.l, n.r, n.p}
