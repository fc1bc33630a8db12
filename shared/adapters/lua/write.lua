-- One fan-out batch's adds, on one slot: the recipients' home timeline heads that share a hash
-- slot (on a single Redis: all of them). KEYS: heads (tl:{uid}). ARGV: pid, score, cap.
-- Per recipient: the head's lowest score (O(1) in a listpack), then one ZADD, and a ZCARD when
-- it added. The pieces are not touched here: an entry
-- scoring below the head's lowest may belong to a piece (or be there already: a redelivery), and
-- a head past its bound must spill; the caller sends those recipients to pieces_put.lua with
-- their pieces' keys (docs/timeline.md "Pieces"). The post's tombstone (its own slot) is checked
-- by the caller first.
-- Returns {written, {indexes of KEYS to put the slow way}, {indexes of KEYS to spill}}.
-- #include pieces
local pid, score = ARGV[1], tonumber(ARGV[2])
local bound = math.min(HEAD_MAX, tonumber(ARGV[3])) -- a head past it spills
local slow, full = {}, {}
for i = 1, #KEYS do
  local first = call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  if first[2] and score < tonumber(first[2]) then
    slow[#slow + 1] = i
  elseif call('ZADD', KEYS[i], score, pid) == 1 and call('ZCARD', KEYS[i]) > bound then
    full[#full + 1] = i
  end
end
return {#KEYS, slow, full}
