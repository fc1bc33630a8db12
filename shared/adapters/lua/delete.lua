-- Tombstone a post, drop its cached body and its entry in its author's own timeline; returns
-- its recorded mode ('' when unknown). KEYS: pm, px, pb, ut(author). ARGV: pid, tombstone ttl.
-- Cluster (issue 19): pm/px/pb are the post's slot, ut the author's.
local mode = redis.call('GET', KEYS[1]) or ''
redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
return mode
