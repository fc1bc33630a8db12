-- The bounds of a home timeline's pieces (docs/timeline.md "Pieces"), included by pieces.lua and
-- by write.lua: the writer's hot path includes these alone, because a script defines all it
-- includes on every run, and on a cluster the writer runs once per recipient.
local call = redis.call
-- A head holding more than HEAD_MAX is spilled. The listpack limit is 128: the 16 between are
-- the slack of the writer's plain inserts, which ask a head's size one time in two
-- (shared/adapters/redis_timeline.py CARD_EVERY). A spill makes a piece of HEAD_MAX - HEAD_KEEP
-- = 88 entries: 21.2 B/entry at the cap (measured: pieces of 64 took 24.6, of 72 22.8, jemalloc's
-- size classes).
local HEAD_MAX = 112
local HEAD_KEEP = 24    -- what a spill leaves in the head (a page of 20 reads it alone)
local HEAD_FILL = 64    -- a rewritten timeline: the head's share (room for 48 inserts)
local PIECE_FILL = 100  -- and each piece's
-- No spill or rewrite moves an entry younger than this (by the server's clock) out of the head:
-- so an entry that young belongs in the head, and the writer adds one with a plain ZADD, no
-- script (shared/adapters/redis_timeline.py FRESH_MS, shorter by the clocks' margin).
local FRESH_KEEP_MS = 30000

-- the lowest score the head must keep (now - FRESH_KEEP_MS)
local function fresh_from()
  local t = call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - FRESH_KEEP_MS
end

-- entry id a older than b (decimal ids: shorter is smaller, then the bytes). An entry's score is
-- its id's millisecond, so ids order exactly as (score, id) do.
local function older_id(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
