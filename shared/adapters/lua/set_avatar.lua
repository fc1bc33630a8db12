-- A user's avatar changed: update their card, if they have one (a missing card is filled,
-- avatar included, on its next read). KEYS: pc. ARGV: avatar json ('' = removed).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then
  redis.call('HDEL', KEYS[1], 'a')
else
  redis.call('HSET', KEYS[1], 'a', ARGV[1])
end
return 1
