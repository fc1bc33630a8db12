-- Store a regenerated home timeline and mark the user active (the user's slot); the entries
-- were merged by the caller from the followees' own timelines (their slots, read per shard).
-- KEYS: tl, act, tr, th (the old timeline's repost marks go: reads de-duplicate the merged
-- reposts). ARGV: act ttl, then score/member pairs (at most the cap).
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
-- a fresh key created by a ZADD of at most zset-max-listpack-entries entries is a listpack
for i = 2, #ARGV, 1000 do
  redis.call('ZADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
return redis.call('ZCARD', KEYS[1])
