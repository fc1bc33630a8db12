-- One page round, server-side, in one round trip: the bounded merge (newest-first ids below a
-- cursor from several zsets, at most `limit` from each, k-way merged and deduplicated), then the
-- hydration of the merged ids (bodies, tombstones) and of their authors (profile cards, and
-- whether the reader follows them).
-- KEYS: the n source zsets, the owner's card, the owner's followee set.
-- ARGV: max score ('+inf' without cursor), cursor id ('' without), limit, page owner, '1' to
-- check the owner's followee set, n, then the key templates of a post body, a tombstone and a
-- card (shared.adapters.redis_keys: the one spelling of those keys).
-- Returns {ids, per key (card, count, last id), bodies, tombstones, authors, cards, follows};
-- a card is {handle, display name, avatar json} (false fields when there is none).
-- Ids compare as strings (length, then bytes): Lua numbers are doubles.
--
-- The one script whose keys are not all in KEYS: the bodies and tombstones of the merged ids
-- and the cards of their authors are known only once the merge ran, and handing them over
-- would take two more round trips per page. So the keys module hands over their templates.
-- Cluster (issue 19): this script spans every source's slot, every post's and every author's;
-- there the round becomes the reader's slot in one script, then per-shard hydration.
local maxs, cur, limit, owner, home = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local n = tonumber(ARGV[6])
local body_t, tomb_t, card_t = ARGV[7], ARGV[8], ARGV[9]
local fmt = string.format
local function older(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local lists, pos, meta = {}, {}, {}
for k = 1, n do
  local got, offset = {}, 0
  while #got < limit do
    local chunk = redis.call('ZRANGE', KEYS[k], maxs, '-inf', 'BYSCORE', 'REV',
                             'LIMIT', offset, limit + 4)
    for _, m in ipairs(chunk) do
      if #got < limit and (cur == '' or older(m, cur)) then got[#got+1] = m end
    end
    if #chunk < limit + 4 then break end
    offset = offset + #chunk
  end
  lists[k] = got; pos[k] = 1
  meta[#meta+1] = redis.call('ZCARD', KEYS[k]); meta[#meta+1] = #got
  meta[#meta+1] = got[#got] or ''
end
-- k-way merge of the sorted runs: limit * n comparisons, no sort
local out, prev = {}, nil
while #out < limit do
  local best, bk = nil, 0
  for k = 1, #lists do
    local m = lists[k][pos[k]]
    if m and (best == nil or older(best, m)) then best = m; bk = k end
  end
  if best == nil then break end
  pos[bk] = pos[bk] + 1
  if best ~= prev then out[#out+1] = best; prev = best end
end
local bodies, tombs = {}, {}
local authors, seen = {owner}, {[owner] = true}
if #out > 0 then
  local pk, xk = {}, {}
  for i, m in ipairs(out) do pk[i] = fmt(body_t, m); xk[i] = fmt(tomb_t, m) end
  bodies = redis.call('MGET', unpack(pk))
  tombs = redis.call('MGET', unpack(xk))
  for i, b in ipairs(bodies) do
    if b and not tombs[i] then
      local ok, d = pcall(cjson.decode, b)
      if ok and type(d) == 'table' and type(d.a) == 'string' and not seen[d.a] then
        seen[d.a] = true; authors[#authors+1] = d.a
      end
    end
  end
end
local cards = {redis.call('HMGET', KEYS[n+1], 'h', 'd', 'a')}
for i = 2, #authors do
  cards[i] = redis.call('HMGET', fmt(card_t, authors[i]), 'h', 'd', 'a')
end
local follows = {}
if home == '1' then follows = redis.call('SMISMEMBER', KEYS[n+2], unpack(authors)) end
return {out, meta, bodies, tombs, authors, cards, follows}
