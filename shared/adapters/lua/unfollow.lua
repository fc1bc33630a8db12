-- An unfollow: drop the followee from the follower's followee cache and unmerge the followee's
-- own timeline from the follower's home timeline. KEYS: fw, tl (follower), ut (followee).
-- ARGV: followee.
-- Cluster (issue 19): ut is the followee's slot: read it there, write the follower's slot.
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SREM', KEYS[1], ARGV[1]) end
local members = redis.call('ZRANGE', KEYS[3], 0, -1)
local n = 0
for i = 1, #members, 500 do
  n = n + redis.call('ZREM', KEYS[2], unpack(members, i, math.min(i + 499, #members)))
end
return n
