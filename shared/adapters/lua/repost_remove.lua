-- An un-repost, the original's slot: unbind the reposter's repost made at or before the given
-- ms, and remember the removal (rx: "<guard ms> <entry>"), so that a late PostReposted of it is
-- dropped and a redelivered RepostRemoved finds the entry to remove again. A newer repost (the
-- user reposted again) is left alone. KEYS: rs, rx. ARGV: reposter, ms.
-- Returns the entry to remove ('' when none is known).
local who, ms = ARGV[1], tonumber(ARGV[2])
local guard, entry = ms, ''
local old = redis.call('HGET', KEYS[2], who)
if old then
  local g, e = string.match(old, '^(%d+) (%d*)$')
  if tonumber(g) > guard then guard = tonumber(g) end
  entry = e
end
local cur = redis.call('HGET', KEYS[1], who)
if cur then
  local t, e = string.match(cur, '^(%d+) (%d+)$')
  if tonumber(t) <= ms then
    redis.call('HDEL', KEYS[1], who)
    entry = e
  end
end
redis.call('HSET', KEYS[2], who, string.format('%d %s', guard, entry))
return entry
