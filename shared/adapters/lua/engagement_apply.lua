-- One switch of one engagement record (a like, a repost, a reply) on the post's counters hash
-- (KEYS[1] = en:{pid}: fields `<kind>:<member>` = +version when on, -version when off, the
-- counts `l`, `r`, `p`, and `ok` once the counts are complete). The switch is applied only when
-- its version is newer than the one held, so a redelivered or late event changes nothing; a
-- count moves only on a real transition and only once the counts are complete (`ok`): before
-- that, engagement_rebuild.lua counts the members. ARGV: kind, member, version, 1|0.
-- Returns the kind's count, or false when the counts are not complete.
local h, kind = KEYS[1], ARGV[1]
local f = kind .. ':' .. ARGV[2]
local v, on = tonumber(ARGV[3]), ARGV[4] == '1'
local old = tonumber(redis.call('HGET', h, f) or '0')
local complete = redis.call('HEXISTS', h, 'ok') == 1
if math.abs(old) < v then
  redis.call('HSET', h, f, on and v or -v)
  if complete and (old > 0) ~= on then
    local n = redis.call('HINCRBY', h, kind, on and 1 or -1)
    if n < 0 then redis.call('HSET', h, kind, 0) end
  end
end
if not complete then return false end
return tonumber(redis.call('HGET', h, kind) or '0')
