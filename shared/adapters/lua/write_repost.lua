-- One fan-out batch of a repost entry, on one slot. KEYS: per recipient the home timeline's
-- head and its `n` piece keys (docs/timeline.md "Pieces"), tr (originals that have a repost
-- entry in tl, score = that entry's ms: Mastodon's "reblogs" set), th (reposts held back by
-- the rule below: original -> "entry@ms entry@ms ...").
-- ARGV: op, entry, score, cap, original post id, n.
-- add (Mastodon's FeedManager rule): not inserted when the original, or another repost of it,
-- is among the reader's newest 40 entries; a repost held back that way is remembered in th.
-- tr and th are pruned below tl's oldest entry, so they never outgrow tl.
-- remove: drops the entry (or forgets it in th); when it was the original's marked repost, the
-- oldest held-back repost of the same original takes its place (Mastodon's unpush).
-- Idempotent: a redelivered add finds the entry in tl or in th, a redelivered remove nothing.
-- Returns the number of timelines written.
-- #include pieces
local op, entry, score, cap, orig = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local np = tonumber(ARGV[6])

local function held_list(th)
  local out = {}
  local v = call('HGET', th, orig)
  if v then for e in string.gmatch(v, '%d+@%d+') do out[#out+1] = e end end
  return out
end

local function store_held(th, list)
  if #list == 0 then call('HDEL', th, orig) else call('HSET', th, orig, table.concat(list, ' ')) end
end

local function prune(tl, tr, th)
  local oldest = oldest_of(tl)
  if not oldest[2] then return end
  local lo = '(' .. oldest[2]
  local gone = call('ZRANGE', tr, '-inf', lo, 'BYSCORE')
  if #gone > 0 then
    call('ZREM', tr, unpack(gone))
    call('HDEL', th, unpack(gone))
  end
end

local n = 0
for i = 1, #KEYS, np + 3 do
  local tl, tr, th = slice(KEYS, i, i + np), KEYS[i+np+1], KEYS[i+np+2]
  if op == 'add' then
    if not score_of(tl, entry) then
      local last = nth_newest(tl, 40)
      local floor = last[2] and tonumber(last[2]) or -1
      local o = score_of(tl, orig)
      local r = call('ZSCORE', tr, orig)
      if (o and tonumber(o) >= floor) or (r and tonumber(r) >= floor) then
        local list, me = held_list(th), entry .. '@' .. ARGV[3]
        local known = false
        for _, e in ipairs(list) do if e == me then known = true end end
        if not known then
          list[#list+1] = me
          store_held(th, list)
        end
      else
        insert(tl, ARGV[3], entry, cap)
        call('ZADD', tr, 'GT', score, orig)
        prune(tl, tr, th)
      end
      n = n + 1
    end
  else
    local list, kept, me = held_list(th), {}, entry .. '@' .. ARGV[3]
    for _, e in ipairs(list) do if e ~= me then kept[#kept+1] = e end end
    if #kept ~= #list then store_held(th, kept) end
    if remove(tl, {entry}) == 1 then
      n = n + 1
      local r = call('ZSCORE', tr, orig)
      if r and tonumber(r) == score then
        call('ZREM', tr, orig)
        -- the oldest held-back repost of the same original takes its place
        local best, bms, bscore = nil, nil, nil
        for _, e in ipairs(kept) do
          local id, ms = string.match(e, '^(%d+)@(%d+)$')
          local sc = tonumber(ms)
          if best == nil or sc < bscore or (sc == bscore and id < best) then
            best, bms, bscore = id, ms, sc
          end
        end
        if best then
          local rest, pick = {}, best .. '@' .. bms
          for _, e in ipairs(kept) do if e ~= pick then rest[#rest+1] = e end end
          store_held(th, rest)
          insert(tl, bms, best, cap)
          call('ZADD', tr, 'GT', bms, orig)
        end
      end
    end
  end
end
return n
