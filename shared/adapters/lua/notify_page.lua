-- A page of a recipient's rows, newest first, in one round trip.
-- KEYS[1] nz:{uid}, KEYS[2] ng:{uid}, KEYS[3] nm:{uid}
-- ARGV: before (a seq: rows below it; "+inf" for the first page), limit
-- Returns {-1} when not loaded, else {read, unread, gid1, row1, gid2, row2, ...}
local zkey, gkey, mkey = KEYS[1], KEYS[2], KEYS[3]
if redis.call('HEXISTS', mkey, 'ok') == 0 then return {-1} end
local read = redis.call('HGET', mkey, 'read') or '0'
local unread = redis.call('ZCOUNT', zkey, '(' .. read, '+inf')
local before = ARGV[1]
if before ~= '+inf' then before = '(' .. before end
local gids = redis.call('ZREVRANGEBYSCORE', zkey, before, '-inf', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {tonumber(read), unread}
for _, gid in ipairs(gids) do
  local row = redis.call('HGET', gkey, gid)
  if row then
    out[#out + 1] = gid
    out[#out + 1] = row
  end
end
return out
