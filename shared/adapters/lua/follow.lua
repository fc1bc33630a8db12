-- A follow: add the followee to the follower's followee cache (if loaded) and backfill the
-- follower's home timeline (if active). KEYS: fw, act, then the home timeline's head and its
-- piece keys (all the follower's slot). ARGV: followee, cap, then score/member pairs to backfill.
-- #include pieces
if call('EXISTS', KEYS[1]) == 1 then call('SADD', KEYS[1], ARGV[1]) end
if call('EXISTS', KEYS[2]) == 0 or #ARGV < 4 then return 0 end
local cap = tonumber(ARGV[2])
local ks = slice(KEYS, 3, #KEYS)
local n = put(ks, slice(ARGV, 3, #ARGV), cap)
spill(ks, cap)
return n
