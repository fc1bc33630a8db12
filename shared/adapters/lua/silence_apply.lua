-- Switch one flag of one relation in a user's silencing hash (shared/adapters/redis_silencing.py).
-- KEYS[1]: sl:{uid}. ARGV: other id, flag (b|k|m), '1' on / '0' off.
-- The version field '#v' moves on every write, loaded or not, so a refill that read the graph
-- before this write knows it is stale (silence_fill.lua). Before the hash is loaded (no ''
-- sentinel) nothing else is written: the refill brings it from the graph, this write included.
local k, other, flag, on = KEYS[1], ARGV[1], ARGV[2], ARGV[3] == '1'
redis.call('HINCRBY', k, '#v', 1)
if redis.call('HEXISTS', k, '') == 0 then return 0 end
local cur = redis.call('HGET', k, other) or ''
local out = ''
for _, f in ipairs({'b', 'k', 'm'}) do
  local has = string.find(cur, f, 1, true) ~= nil
  if f == flag then has = on end
  if has then out = out .. f end
end
if out == '' then redis.call('HDEL', k, other) else redis.call('HSET', k, other, out) end
return 1
