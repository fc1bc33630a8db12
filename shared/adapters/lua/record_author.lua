-- The author side of recording posts (the author's slot): add them to the author's own
-- timeline, a head and pieces as a home timeline's (pieces.lua insert: into the head, spilled
-- and capped past its bound), and report the pace. KEYS: the own timeline's head and its piece
-- keys. ARGV: cap, burst window ms, then per post id, score, in order (each sees the ones
-- before it). Returns per post count, span.
-- Idempotent: a post found anywhere (or one the cap would drop at once) is not added again.
-- #include pieces
local cap, win = tonumber(ARGV[1]), tonumber(ARGV[2])

-- the author's posts in (score - win, score] and how far back the oldest of them is: the
-- window may reach past the head into the pieces, which are disjoint ranges, newest first
local function pace(score)
  local lo = string.format('(%d', score - win)
  local count, span = 0, 0
  for i = 1, #KEYS do
    local low = call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')[2]
    if not low then break end
    local c = call('ZCOUNT', KEYS[i], lo, score)
    if c > 0 then
      count = count + c
      local first = call('ZRANGE', KEYS[i], lo, score, 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
      span = score - tonumber(first[2])
    end
    if tonumber(low) <= score - win then break end -- the older keys are all out of the window
  end
  return count, span
end

local out = {}
for i = 3, #ARGV, 2 do
  local pid, score = ARGV[i], tonumber(ARGV[i+1])
  insert(KEYS, ARGV[i+1], pid, cap)
  local count, span = pace(score)
  out[#out+1] = count; out[#out+1] = span
end
return out
