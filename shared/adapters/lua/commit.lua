-- Record each post's fan-out mode unless one is recorded already (SET NX: redelivery never
-- flips it); pull-mode authors join the pullers set. KEYS: pullers, then pm per post.
-- ARGV: mode ttl, then per post mode, author. Returns the final modes.
-- Cluster (issue 19): pullers is a global hot key, and each pm is its post's slot.
local out = {}
for i = 2, #KEYS do
  local mode, author = ARGV[2*i-2], ARGV[2*i-1]
  local old = redis.call('SET', KEYS[i], mode, 'NX', 'GET', 'EX', ARGV[1])
  local final = old or mode
  if final == 'pull' then redis.call('SADD', KEYS[1], author) end
  out[#out+1] = final
end
return out
