-- The author side of recording posts (the author's slot): add them to the author's own
-- timeline, cap it, report the pace. KEYS: ut. ARGV: cap, burst window ms, then per post id,
-- score, in order (each sees the ones before it). Returns per post count, span.
local cap, win = tonumber(ARGV[1]), tonumber(ARGV[2])
local ut = KEYS[1]
local out = {}
for i = 3, #ARGV, 2 do
  local pid, score = ARGV[i], tonumber(ARGV[i+1])
  redis.call('ZADD', ut, score, pid)
  local card = redis.call('ZCARD', ut)
  if card > cap then redis.call('ZREMRANGEBYRANK', ut, 0, card - cap - 1) end
  local lo = string.format('(%d', score - win)
  local count = redis.call('ZCOUNT', ut, lo, score)
  local first = redis.call('ZRANGE', ut, lo, score, 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
  local span = 0
  if #first == 2 then span = score - tonumber(first[2]) end
  out[#out+1] = count; out[#out+1] = span
end
return out
