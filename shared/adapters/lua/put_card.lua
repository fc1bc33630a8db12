-- Replace one profile card. KEYS: pc. ARGV: handle, display name, avatar json ('' = none).
-- One key: one slot. No TTL: the card is written through, not cached.
redis.call('DEL', KEYS[1])
if ARGV[3] == '' then
  redis.call('HSET', KEYS[1], 'h', ARGV[1], 'd', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'h', ARGV[1], 'd', ARGV[2], 'a', ARGV[3])
end
return 1
