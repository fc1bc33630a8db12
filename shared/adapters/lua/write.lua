-- One fan-out batch's adds, on one slot: the recipients' home timeline heads that share a hash
-- slot (on a single Redis: all of them). KEYS: heads (tl:{uid}). ARGV: pid, score, cap, and
-- '1' when the post is young (bounds.lua FRESH_KEEP_MS: its place is the head, no check).
-- Per recipient: the head's oldest id (O(1) in a listpack; compared as ids, not scores: a
-- score's reply costs a double's formatting and parsing, twice this script's own work), then
-- one ZADD, and a ZCARD when it added. The pieces are not touched here: an entry older than the
-- head's oldest may belong to a piece (or be there already: a redelivery), and a head past its
-- bound must spill; the caller sends those recipients to pieces_put.lua with their pieces' keys
-- (docs/timeline.md "Pieces"). The post's tombstone (its own slot) is checked by the caller
-- first.
-- Returns {written, {indexes of KEYS to put the slow way}, {indexes of KEYS to spill}}, or just
-- written when both are empty (the usual reply; on a cluster, one per recipient).
-- #include bounds
local pid, score = ARGV[1], ARGV[2]
local bound = math.min(HEAD_MAX, tonumber(ARGV[3])) -- a head past it spills
local young = ARGV[4] == '1' -- younger than FRESH_KEEP_MS: its place is the head
local slow, full = {}, {}
for i = 1, #KEYS do
  local oldest = (not young) and call('ZRANGE', KEYS[i], 0, 0)[1]
  if oldest and older_id(pid, oldest) then
    slow[#slow + 1] = i
  elseif call('ZADD', KEYS[i], score, pid) == 1 and call('ZCARD', KEYS[i]) > bound then
    full[#full + 1] = i
  end
end
if #slow == 0 and #full == 0 then return #KEYS end
return {#KEYS, slow, full}
