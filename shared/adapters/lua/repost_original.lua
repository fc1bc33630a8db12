-- The originals of a page's repost entries, one slot (on a single Redis: all of them) in one
-- call. KEYS: per original pb, px, rs. ARGV: max reposters read.
-- Returns per original its cached body ('' when not cached), whether it is tombstoned, and who
-- reposted it: every (reposter, "<ms> <entry>") pair when there are at most ARGV[1], else only
-- their number (a viral post: the caller then asks for the reader's followees among them).
local max = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS, 3 do
  out[#out+1] = redis.call('GET', KEYS[i]) or ''
  out[#out+1] = redis.call('EXISTS', KEYS[i+1])
  local n = redis.call('HLEN', KEYS[i+2])
  if n > max then out[#out+1] = n else out[#out+1] = redis.call('HGETALL', KEYS[i+2]) end
end
return out
