-- Move the read mark forward to ARGV[1] (never back, never past the newest seq).
-- KEYS[1] nz:{uid}, KEYS[2] nm:{uid}. Returns {-1} when not loaded, else {read, unread}.
if redis.call('HEXISTS', KEYS[2], 'ok') == 0 then return {-1} end
local want = tonumber(ARGV[1])
local top = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
if want > top then want = top end
local read = tonumber(redis.call('HGET', KEYS[2], 'read') or '0')
if want > read then
  redis.call('HSET', KEYS[2], 'read', want)
  read = want
end
return {read, redis.call('ZCOUNT', KEYS[1], '(' .. read, '+inf')}
