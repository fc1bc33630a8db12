-- The bounded read of one page round, on one slot: for each source in KEYS (all in one slot:
-- the reader's home timeline, or own timelines of authors that share a slot; each is a head
-- and pieces, its keys newest first), the newest ids below a cursor, at most `limit`. The
-- caller merges the sources of every slot (shared.domain.timeline.merge_newest) and hydrates
-- the merged ids per shard. A timeline's pieces hold disjoint score ranges, newest first, so
-- the read goes on into the next piece only while the page is not full (the newest 20: the
-- head alone, as a rule).
-- ARGV: max score ('+inf' without cursor), cursor id ('' without), limit, then per source the
-- number of its keys.
-- Returns per source {entries, ids}. Ids compare as strings (length, then bytes): Lua numbers
-- are doubles.
local maxs, cur, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local function older(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local res = {}
local k = 0
for s = 4, #ARGV do
  local got, card = {}, 0
  for j = 1, tonumber(ARGV[s]) do
    local key = KEYS[k + j]
    local c = redis.call('ZCARD', key)
    if c == 0 then break end
    card = card + c
    local offset = 0
    while #got < limit do
      local chunk = redis.call('ZRANGE', key, maxs, '-inf', 'BYSCORE', 'REV',
                               'LIMIT', offset, limit + 4)
      for _, m in ipairs(chunk) do
        if #got < limit and (cur == '' or older(m, cur)) then got[#got+1] = m end
      end
      if #chunk < limit + 4 then break end
      offset = offset + #chunk
    end
  end
  k = k + tonumber(ARGV[s])
  res[#res+1] = card; res[#res+1] = got
end
return res
