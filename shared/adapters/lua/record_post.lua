-- The post side of recording posts (the posts' slot; on a cluster one post per call): unless
-- tombstoned, cache the body. KEYS: per post px, pb, pm. ARGV: body ttl, then per post the body.
-- Returns per post its recorded mode ('' undecided, 'gone' deleted).
local out = {}
for i = 0, #KEYS / 3 - 1 do
  local px, pb, pm = KEYS[3*i+1], KEYS[3*i+2], KEYS[3*i+3]
  if redis.call('EXISTS', px) == 1 then
    out[#out+1] = 'gone'
  else
    redis.call('SET', pb, ARGV[2+i], 'EX', ARGV[1])
    out[#out+1] = redis.call('GET', pm) or ''
  end
end
return out
