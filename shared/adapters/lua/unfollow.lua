-- An unfollow, the follower's slot: drop the followee from the follower's followee cache and
-- unmerge the followee's posts (read from the followee's own timeline, its own slot, by the
-- caller) from the follower's home timeline. KEYS: fw, tl. ARGV: followee, then post ids.
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SREM', KEYS[1], ARGV[1]) end
local n = 0
for i = 2, #ARGV, 500 do
  n = n + redis.call('ZREM', KEYS[2], unpack(ARGV, i, math.min(i + 499, #ARGV)))
end
return n
