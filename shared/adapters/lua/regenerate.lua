-- Rebuild a home timeline from the followees' own timelines and mark the user active.
-- KEYS: tl, tmp, act (the user's slot), then the followees' ut keys. ARGV: cap, act ttl.
-- Cluster (issue 19): the ut keys are the followees' slots: read them per shard, merge in the
-- client, write the user's slot.
if #KEYS > 3 then
  local srcs = {}
  for i = 4, #KEYS do srcs[#srcs+1] = KEYS[i] end
  redis.call('ZUNIONSTORE', KEYS[2], #srcs, unpack(srcs))
  -- ZRANGESTORE writes a fresh key sized for its result, so it comes out as a listpack
  redis.call('ZRANGESTORE', KEYS[1], KEYS[2], 0, tonumber(ARGV[1]) - 1, 'REV')
  redis.call('DEL', KEYS[2])
else
  redis.call('DEL', KEYS[1])
end
redis.call('SET', KEYS[3], '1', 'EX', ARGV[2])
return redis.call('ZCARD', KEYS[1])
