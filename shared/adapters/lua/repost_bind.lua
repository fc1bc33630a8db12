-- Bind a claimed entry to (post, reposter) unless one is bound (HSETNX: two deliveries racing
-- agree on the first), the original's slot. KEYS: rs, px, rx. ARGV: reposter, reposted ms,
-- entry. Returns the bound "<ms> <entry>", or 'gone' / 'removed' as repost_find.lua.
if redis.call('EXISTS', KEYS[2]) == 1 then return 'gone' end
local old = redis.call('HGET', KEYS[3], ARGV[1])
if old and tonumber(string.match(old, '^(%d+)')) >= tonumber(ARGV[2]) then return 'removed' end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. ARGV[3])
return redis.call('HGET', KEYS[1], ARGV[1])
