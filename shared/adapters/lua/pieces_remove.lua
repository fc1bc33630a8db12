-- Remove members from home timelines, every piece of each (docs/timeline.md "Pieces"), on one
-- slot: a deleted post's removal batch, erasure, a mute or block (Mastodon's clear_from_home).
-- KEYS: per user the head and its `n` piece keys. ARGV: n, then the members.
-- Returns how many entries were removed.
-- #include pieces
local n = tonumber(ARGV[1])
local members = slice(ARGV, 2, #ARGV)
local removed = 0
for u = 1, #KEYS, n + 1 do
  removed = removed + remove(slice(KEYS, u, u + n), members)
end
return removed
