-- Load a recipient's rows back from the durable copy (after Redis lost them), merging with
-- whatever is there: a row's newer version (higher seq) wins. Idempotent; concurrent runs agree.
-- KEYS[1] nz:{uid}, KEYS[2] ng:{uid}, KEYS[3] nm:{uid}
-- ARGV: read_mark, cap, ttl_s, then (gid, seq, row) triples
local zkey, gkey, mkey = KEYS[1], KEYS[2], KEYS[3]
local read_mark, cap, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local top = read_mark
for i = 4, #ARGV, 3 do
  local gid, seq, row = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local have = redis.call('ZSCORE', zkey, gid)
  if (not have) or tonumber(have) < seq then
    redis.call('HSET', gkey, gid, row)
    redis.call('ZADD', zkey, seq, gid)
  end
  if seq > top then top = seq end
end
local cur = tonumber(redis.call('HGET', mkey, 'seq') or '0')
if top > cur then redis.call('HSET', mkey, 'seq', top) end
local cur_read = tonumber(redis.call('HGET', mkey, 'read') or '0')
if read_mark > cur_read then redis.call('HSET', mkey, 'read', read_mark) end
redis.call('HSET', mkey, 'ok', '1')
local extra = redis.call('ZCARD', zkey) - cap
if extra > 0 then
  local old = redis.call('ZRANGE', zkey, 0, extra - 1)
  redis.call('ZREMRANGEBYRANK', zkey, 0, extra - 1)
  redis.call('HDEL', gkey, unpack(old))
end
for _, k in ipairs(KEYS) do redis.call('EXPIRE', k, ttl) end
return 1
