-- The bounded read of one page round, on one slot: for each source zset in KEYS (all in one
-- slot: the reader's home timeline, or pull authors' own timelines that share a slot), the
-- newest ids below a cursor, at most `limit`. The caller merges the sources of every slot
-- (shared.domain.timeline.merge_newest) and hydrates the merged ids per shard.
-- ARGV: max score ('+inf' without cursor), cursor id ('' without), limit.
-- Returns per key {card, ids}. Ids compare as strings (length, then bytes): Lua numbers are
-- doubles.
local maxs, cur, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local function older(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local res = {}
for k = 1, #KEYS do
  local got, offset = {}, 0
  while #got < limit do
    local chunk = redis.call('ZRANGE', KEYS[k], maxs, '-inf', 'BYSCORE', 'REV',
                             'LIMIT', offset, limit + 4)
    for _, m in ipairs(chunk) do
      if #got < limit and (cur == '' or older(m, cur)) then got[#got+1] = m end
    end
    if #chunk < limit + 4 then break end
    offset = offset + #chunk
  end
  res[#res+1] = redis.call('ZCARD', KEYS[k]); res[#res+1] = got
end
return res
