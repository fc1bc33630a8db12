-- A follow: add the followee to the follower's followee cache (if loaded) and backfill the
-- follower's home timeline (if active). KEYS: fw, act, tl (all the follower's slot).
-- ARGV: followee, cap, then score/member pairs to backfill.
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SADD', KEYS[1], ARGV[1]) end
if redis.call('EXISTS', KEYS[2]) == 0 or #ARGV < 4 then return 0 end
local cap = tonumber(ARGV[2])
local args = {}
for i = 3, #ARGV do args[#args+1] = ARGV[i] end
redis.call('ZADD', KEYS[3], unpack(args))
local card = redis.call('ZCARD', KEYS[3])
if card > cap then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, card - cap - 1) end
return #args / 2
