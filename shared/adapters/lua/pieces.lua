-- A timeline made of bounded pieces (docs/timeline.md "Pieces"), included by the scripts that
-- touch one. `ks` is one user's keys, newest first: ks[1] the head tl:{uid} (it takes the
-- inserts), ks[2..] the pieces tl:{uid}:1, tl:{uid}:2, ... (one slot: the user's hash tag); an
-- own timeline ut:{uid}, ut:{uid}:1, ... is made the same way by the same functions.
-- Each key stays under the server's default zset-max-listpack-entries (128), so each stays a
-- listpack. Invariants every function keeps:
--   * every score of piece i+1 < every score of piece i < every score of the head (a spill cuts
--     at a score boundary), so an entry scoring at or above the head's lowest score can only be
--     in the head: the writer's hot path checks the head alone;
--   * the pieces are contiguous from 1, and there is no piece when the head is empty.
-- #include bounds

-- a newer than b (score, then member as the id it is: length, then bytes)
local function newer(as, am, bs, bm)
  if as ~= bs then return as > bs end
  if #am ~= #bm then return #am > #bm end
  return am > bm
end

-- the existing keys' count (stops at the first missing one: they are contiguous)
local function live(ks)
  local n = 0
  for i = 1, #ks do
    if call('EXISTS', ks[i]) == 0 then break end
    n = i
  end
  return n
end

local function zadd_pairs(key, flat) -- flat: score, member, score, member ...
  for i = 1, #flat, 1000 do
    call('ZADD', key, unpack(flat, i, math.min(i + 999, #flat)))
  end
end

-- every entry, newest first: {score (number), member}
local function gather(ks)
  local out = {}
  for i = 1, live(ks) do
    local got = call('ZRANGE', ks[i], 0, -1, 'REV', 'WITHSCORES')
    for j = 1, #got, 2 do out[#out + 1] = {tonumber(got[j + 1]), got[j]} end
  end
  return out
end

-- replace the timeline by `es` (newest first, distinct, at most the cap): the head gets the
-- newest HEAD_FILL (and every entry younger than FRESH_KEEP_MS), then pieces of PIECE_FILL;
-- equal scores never straddle two keys
local function layout(ks, es)
  local n = live(ks)
  if n > 0 then call('DEL', unpack(ks, 1, n)) end
  local from, young = fresh_from(), 0
  while young < #es and es[young + 1][1] >= from do young = young + 1 end
  local i, k, size = 1, 1, math.max(HEAD_FILL, young)
  while i <= #es do
    local j = math.min(i + size - 1, #es)
    if k >= #ks then j = #es end -- no key left: the last one takes the rest
    while j < #es and es[j + 1][1] == es[j][1] do j = j + 1 end
    local flat = {}
    for x = i, j do flat[#flat + 1] = es[x][1]; flat[#flat + 1] = es[x][2] end
    zadd_pairs(ks[k], flat)
    i, k, size = j + 1, k + 1, PIECE_FILL
  end
end

-- drop the oldest entries past the cap (from the oldest piece; the head only when cap is small)
local function trim(ks, cap)
  local n = live(ks)
  local total = 0
  for i = 1, n do total = total + call('ZCARD', ks[i]) end
  local excess = total - cap
  for i = n, 1, -1 do
    if excess <= 0 then break end
    local c = call('ZCARD', ks[i])
    if c <= excess and i > 1 then
      call('DEL', ks[i])
      excess = excess - c
    else
      call('ZREMRANGEBYRANK', ks[i], 0, math.min(c, excess) - 1)
      excess = 0
    end
  end
end

-- a key that turned into a skiplist (a head past 128 between two spills) written again: it
-- is a listpack when it holds at most 128 entries
local function relist(key)
  if call('EXISTS', key) == 1 and call('OBJECT', 'ENCODING', key) ~= 'listpack' then
    local all = call('ZRANGE', key, 0, -1, 'WITHSCORES')
    local flat = {}
    for j = 1, #all, 2 do flat[#flat + 1] = all[j + 1]; flat[#flat + 1] = all[j] end
    call('DEL', key)
    zadd_pairs(key, flat)
  end
end

-- a head past HEAD_MAX becomes piece 1 (RENAME, O(1); the pieces before are renamed one older)
-- and gives its newest HEAD_KEEP entries (cut at a score boundary), and every entry younger
-- than FRESH_KEEP_MS, to a fresh head: building a key costs O(n^2) in a listpack, so the few
-- newest move, not the many oldest. Then the cap. When every piece key is in use, or the head
-- is so far past its bound (follow-ups lost, or many concurrent writers) that it would make a
-- piece over HEAD_MAX, the timeline is written again in full pieces instead. A head holding
-- more young entries than HEAD_MAX waits for them to age (it may be a skiplist meanwhile).
local function spill(ks, cap)
  local head = ks[1]
  local hc = call('ZCARD', head)
  if hc > HEAD_MAX then
    local cut = call('ZRANGE', head, hc - HEAD_KEEP, hc - HEAD_KEEP, 'WITHSCORES')
    local from = math.min(tonumber(cut[2]), fresh_from())
    local keep = call('ZCOUNT', head, from, '+inf')
    if keep > HEAD_MAX then
      trim(ks, cap)
      return
    end
    local n = live(ks)
    if n == #ks or hc - keep > HEAD_MAX then -- no key free, or a head far past its bound
      trim(ks, cap)
      layout(ks, gather(ks))
      return
    end
    local kept = call('ZRANGE', head, from, '+inf', 'BYSCORE', 'WITHSCORES')
    if #kept < 2 * hc then -- else every entry has one score: nothing can move
      for i = n, 1, -1 do call('RENAME', ks[i], ks[i + 1]) end
      local flat = {}
      for j = 1, #kept, 2 do flat[#flat + 1] = kept[j + 1]; flat[#flat + 1] = kept[j] end
      zadd_pairs(head, flat)
      call('ZREMRANGEBYSCORE', ks[2], from, '+inf')
    end
  end
  trim(ks, cap)
  for i = 1, math.min(2, #ks) do relist(ks[i]) end
end

local function score_of(ks, member)
  for i = 1, live(ks) do
    local s = call('ZSCORE', ks[i], member)
    if s then return s end
  end
  return false
end

-- add (score, member) pairs (ARGV-style flat list, any order) the slow way: the timeline is
-- gathered, merged with the entries it lacks, cut to the cap and written again; nothing is
-- written when every entry is there already or would be trimmed at once (a redelivery).
-- Returns how many were added.
local function put(ks, flat, cap)
  local new = {}
  local total = 0
  local n = live(ks)
  for i = 1, n do total = total + call('ZCARD', ks[i]) end
  local oldest = nil
  if n > 0 then oldest = call('ZRANGE', ks[n], 0, 0, 'WITHSCORES') end
  local seen = {}
  for i = 1, #flat, 2 do
    local s, m = tonumber(flat[i]), tostring(flat[i + 1])
    if not seen[m] and not score_of(ks, m) then
      seen[m] = true
      if not (total >= cap and oldest and not newer(s, m, tonumber(oldest[2]), oldest[1])) then
        new[#new + 1] = {s, m}
      end
    end
  end
  if #new == 0 then return 0 end
  table.sort(new, function(a, b) return newer(a[1], a[2], b[1], b[2]) end)
  local old = gather(ks)
  local es, i, j = {}, 1, 1
  while #es < cap and (i <= #old or j <= #new) do
    if j > #new or (i <= #old and newer(old[i][1], old[i][2], new[j][1], new[j][2])) then
      es[#es + 1] = old[i]; i = i + 1
    else
      es[#es + 1] = new[j]; j = j + 1
    end
  end
  layout(ks, es)
  return #new
end

-- one entry the usual way: into the head when it scores at or above the head's lowest (or the
-- head is empty: then there is no piece), spilled past the bound; else the slow way.
local function insert(ks, score, member, cap)
  local head = ks[1]
  local first = call('ZRANGE', head, 0, 0, 'WITHSCORES')
  if first[2] and tonumber(score) < tonumber(first[2]) then
    return put(ks, {score, member}, cap)
  end
  local added = call('ZADD', head, score, member)
  if added == 1 and call('ZCARD', head) > math.min(HEAD_MAX, cap) then spill(ks, cap) end
  return added
end

-- take members out of every key; the keys left are renamed contiguous from the head (a piece
-- becomes the head when the head emptied). Returns how many were removed.
local function remove(ks, members)
  local n = live(ks)
  local removed = 0
  for i = 1, n do
    for j = 1, #members, 500 do
      removed = removed + call('ZREM', ks[i], unpack(members, j, math.min(j + 499, #members)))
    end
  end
  if removed > 0 then
    local t = 1
    for i = 1, n do
      if call('EXISTS', ks[i]) == 1 then
        if i ~= t then call('RENAME', ks[i], ks[t]) end
        t = t + 1
      end
    end
  end
  return removed
end

-- the n-th newest entry (1-based) {member, score}, or {}
local function nth_newest(ks, nth)
  for i = 1, live(ks) do
    local c = call('ZCARD', ks[i])
    if nth <= c then return call('ZRANGE', ks[i], nth - 1, nth - 1, 'REV', 'WITHSCORES') end
    nth = nth - c
  end
  return {}
end

local function oldest_of(ks)
  local n = live(ks)
  if n == 0 then return {} end
  return call('ZRANGE', ks[n], 0, 0, 'WITHSCORES')
end

local function drop(ks)
  local n = live(ks)
  if n > 0 then return call('UNLINK', unpack(ks, 1, n)) end
  return 0
end

local function slice(t, from, to)
  local out = {}
  for i = from, to do out[#out + 1] = t[i] end
  return out
end
