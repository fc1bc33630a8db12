-- Replace a timeline made of pieces (docs/timeline.md "Pieces") by the given entries, laid out
-- in fresh pieces, each a listpack: the rebuild runbook's own timelines.
-- KEYS: the head and its piece keys (one slot). ARGV: score/member pairs, newest first,
-- distinct, at most the cap. Returns the number of entries stored.
-- #include pieces
local es = {}
for i = 1, #ARGV, 2 do es[#es + 1] = {tonumber(ARGV[i]), ARGV[i + 1]} end
drop(KEYS)
layout(KEYS, es)
return #es
