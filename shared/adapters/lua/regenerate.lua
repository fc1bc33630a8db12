-- Store a regenerated home timeline and mark the user active (the user's slot); the entries
-- were merged by the caller from the followees' own timelines (their slots, read per shard).
-- KEYS: act, tr, th (the old timeline's repost marks go: reads de-duplicate the merged
-- reposts), then the home timeline's head and its piece keys. ARGV: act ttl, then score/member
-- pairs, newest first (at most the cap). Returns the number of entries stored.
-- #include pieces
local ks = slice(KEYS, 4, #KEYS)
drop(ks)
call('DEL', KEYS[2], KEYS[3])
local es = {}
for i = 2, #ARGV, 2 do es[#es + 1] = {tonumber(ARGV[i]), ARGV[i + 1]} end
-- every key is created by ZADDs of at most PIECE_FILL (+ ties): each one a listpack
layout(ks, es)
call('SET', KEYS[1], '1', 'EX', ARGV[1])
return #es
