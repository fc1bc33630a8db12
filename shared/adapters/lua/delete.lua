-- Tombstone a post and drop its cached body; returns its recorded mode ('' when unknown).
-- KEYS: pm, px, pb (the post's slot). ARGV: tombstone ttl. The author's own timeline entry is
-- removed from every piece by pieces_remove.lua in the same pipeline (the author's slot).
local mode = redis.call('GET', KEYS[1]) or ''
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
redis.call('DEL', KEYS[3])
return mode
