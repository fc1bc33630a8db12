-- The bounds of a home timeline's pieces (docs/timeline.md "Pieces"), included by pieces.lua and
-- by write.lua: the writer's hot path includes these alone, because a script defines all it
-- includes on every run, and on a cluster the writer runs once per recipient.
local call = redis.call
local HEAD_MAX = 120    -- a head holding more is spilled (the listpack limit is 128)
local HEAD_KEEP = 32    -- what a spill leaves in the head (a page of 20 reads it alone)
local HEAD_FILL = 64    -- a rewritten timeline: the head's share (room for 56 inserts)
local PIECE_FILL = 100  -- and each piece's

-- entry id a older than b (decimal ids: shorter is smaller, then the bytes). An entry's score is
-- its id's millisecond, so ids order exactly as (score, id) do.
local function older_id(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
