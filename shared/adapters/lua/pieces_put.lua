-- The pieces' side of timeline writes (docs/timeline.md "Pieces"), on one slot: per user, add
-- entries the slow way (older than the head's lowest score, a backfill) and spill the head
-- when past its bound, then cut to the cap. KEYS: per user the head and its `n` piece keys.
-- ARGV: n, cap, then score/member pairs added to every user's timeline (none: spill only).
-- Idempotent: an entry found anywhere (or one the cap would drop at once) is not added again.
-- #include pieces
local n, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
local flat = slice(ARGV, 3, #ARGV)
local added = 0
for u = 1, #KEYS, n + 1 do
  local ks = slice(KEYS, u, u + n)
  if #flat > 0 then added = added + put(ks, flat, cap) end
  spill(ks, cap)
end
return added
