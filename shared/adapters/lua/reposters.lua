-- Who reposted a post, the post's slot, for a page's "reposted by": every (reposter,
-- "<ms> <entry>") pair when there are at most ARGV[1], else only their number (a viral post:
-- the caller then asks for the reader's followees among them). KEYS: rs.
local n = redis.call('HLEN', KEYS[1])
if n > tonumber(ARGV[1]) then return n end
return redis.call('HGETALL', KEYS[1])
