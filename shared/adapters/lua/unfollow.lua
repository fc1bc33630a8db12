-- An unfollow, the follower's slot: drop the followee from the follower's followee cache and
-- unmerge the followee's posts (read from the followee's own timeline, its own slot, by the
-- caller) from every piece of the follower's home timeline. KEYS: fw, then the home timeline's
-- head and its piece keys. ARGV: followee, then post ids.
-- #include pieces
if call('EXISTS', KEYS[1]) == 1 then call('SREM', KEYS[1], ARGV[1]) end
if #ARGV < 2 then return 0 end
return remove(slice(KEYS, 2, #KEYS), slice(ARGV, 2, #ARGV))
