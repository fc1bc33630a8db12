-- Fill a user's silencing hash from the graph, unless a write moved its version since the
-- caller read it (then the caller's graph read may miss that write: it is not stored, the next
-- read fills again). KEYS[1]: sl:{uid}. ARGV[1]: the version read before the graph ('' none),
-- then pairs other id, flags.
local k = KEYS[1]
if redis.call('HEXISTS', k, '') == 1 then return 0 end
if (redis.call('HGET', k, '#v') or '') ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', k, ARGV[i], ARGV[i + 1]) end
redis.call('HSET', k, '', '1')
return 1
