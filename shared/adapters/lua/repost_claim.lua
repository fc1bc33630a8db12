-- Claim a candidate repost entry id, the entry's slot. KEYS: pb (its pointer), px (its
-- tombstone: a removed repost's id is never reused). ARGV: the pointer JSON (original,
-- reposter, reposted ms: unique per repost). The pointer has no TTL: a repost entry has no
-- other record to be reloaded from. Returns 1 when the candidate is (now) this repost's, else 0.
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local old = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'GET')
if not old or old == ARGV[1] then return 1 end
return 0
