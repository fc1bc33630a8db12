-- A repost's record, the original's slot: the entry already bound to (post, reposter), or why
-- the repost must be dropped. KEYS: rs (reposts of the post), px (its tombstone), rx (removed
-- reposts). ARGV: reposter, reposted ms. Returns 'gone' (original deleted), 'removed' (an
-- un-repost as late or later than this repost was seen: events may arrive out of order), the
-- bound "<ms> <entry>", or ''.
if redis.call('EXISTS', KEYS[2]) == 1 then return 'gone' end
local old = redis.call('HGET', KEYS[3], ARGV[1])
if old and tonumber(string.match(old, '^(%d+)')) >= tonumber(ARGV[2]) then return 'removed' end
return redis.call('HGET', KEYS[1], ARGV[1]) or ''
