-- The newest entries of one timeline made of pieces (docs/timeline.md "Pieces"), from an
-- offset across its keys: the pieces hold disjoint score ranges, newest first, so ranks simply
-- continue from one key into the next. Readers of own timelines use it (a follow's backfill,
-- regeneration's chunks, an unfollow's or a mute's members).
-- KEYS: the head and its piece keys. ARGV: offset, count (-1: all the rest).
-- Returns member, score, member, score ... newest first.
local off, want = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for i = 1, #KEYS do
  if want == 0 then break end
  local c = redis.call('ZCARD', KEYS[i])
  if c == 0 then break end -- contiguous: no key after a missing one
  if off < c then
    local stop = c - 1
    if want > 0 then stop = math.min(stop, off + want - 1) end
    local got = redis.call('ZRANGE', KEYS[i], off, stop, 'REV', 'WITHSCORES')
    for j = 1, #got do out[#out + 1] = got[j] end
    if want > 0 then want = want - (stop - off + 1) end
    off = 0
  else
    off = off - c
  end
end
return out
