-- KEYS: the window zsets. ARGV: now ms, a unique member for this attempt, then per key its
-- window ms and limit. All windows are checked first and the attempt is recorded in all of them
-- only when every one has room, so a refused attempt counts nowhere (one full window does not
-- spend the others). Returns 0 when admitted, else the milliseconds until every full window
-- has a slot free.
local now, member = tonumber(ARGV[1]), ARGV[2]
local wait = 0
for i, key in ipairs(KEYS) do
  local win, limit = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - win)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local w = tonumber(oldest[2]) + win - now
    if w < 1 then w = 1 end
    if w > wait then wait = w end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local win = tonumber(ARGV[1 + 2 * i])
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, win)
end
return 0
