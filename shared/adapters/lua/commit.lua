-- Record each post's fan-out mode unless one is recorded already (SET NX: redelivery never
-- flips it). KEYS: pm per post (one slot). ARGV: ttl, then per post the mode.
-- Returns the final modes; the caller marks the authors of pull posts (their own slot).
local out = {}
for i = 1, #KEYS do
  local old = redis.call('SET', KEYS[i], ARGV[i+1], 'NX', 'GET', 'EX', ARGV[1])
  out[#out+1] = old or ARGV[i+1]
end
return out
