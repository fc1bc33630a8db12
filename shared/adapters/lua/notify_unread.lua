-- How many rows are newer than the read mark: ZCOUNT on the index, O(log n).
-- KEYS[1] nz:{uid}, KEYS[2] nm:{uid}. Returns -1 when not loaded.
if redis.call('HEXISTS', KEYS[2], 'ok') == 0 then return -1 end
local read = redis.call('HGET', KEYS[2], 'read') or '0'
return redis.call('ZCOUNT', KEYS[1], '(' .. read, '+inf')
