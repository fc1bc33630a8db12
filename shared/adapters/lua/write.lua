-- One fan-out batch, on one slot: the recipients' home timelines that share a hash slot (on a
-- single Redis: all of them). KEYS: home timelines. ARGV: op, pid, score, cap (0 = this post
-- does not trim). Per recipient one ZADD, and, on the posts that trim, a ZREMRANGEBYRANK when
-- the ZADD added: a second call on every entry would cost ~60 % more Redis CPU
-- (docs/benchmarks.md). The post's tombstone (its own slot) is checked by the caller first.
-- Returns the number of timelines written.
local op, pid, score = ARGV[1], ARGV[2], ARGV[3]
local keep = -tonumber(ARGV[4]) - 1
local call = redis.call
local n = 0
if op == 'add' then
  if keep == -1 then
    for i = 1, #KEYS do call('ZADD', KEYS[i], score, pid) end
  else
    for i = 1, #KEYS do
      if call('ZADD', KEYS[i], score, pid) == 1 then call('ZREMRANGEBYRANK', KEYS[i], 0, keep) end
    end
  end
  n = #KEYS
else
  for i = 1, #KEYS do n = n + call('ZREM', KEYS[i], pid) end
end
return n
