-- One fan-out batch. KEYS: px, then the recipients' home timelines. ARGV: op, pid, score, cap
-- (0 = this post does not trim). Per recipient one ZADD, and, on the posts that trim, a
-- ZREMRANGEBYRANK when the ZADD added: a second call on every entry would cost ~60 % more Redis
-- CPU (docs/benchmarks.md). Recipients are active readers: the planner filtered them.
-- Returns the number of timelines written, -1 when the post was deleted meanwhile.
-- Cluster (issue 19): px is the post's slot, each tl its reader's: one pipeline per shard.
local op, pid, score = ARGV[1], ARGV[2], ARGV[3]
local keep = -tonumber(ARGV[4]) - 1
local call = redis.call
local n = 0
if op == 'add' then
  if call('EXISTS', KEYS[1]) == 1 then return -1 end
  if keep == -1 then
    for i = 2, #KEYS do call('ZADD', KEYS[i], score, pid) end
  else
    for i = 2, #KEYS do
      if call('ZADD', KEYS[i], score, pid) == 1 then call('ZREMRANGEBYRANK', KEYS[i], 0, keep) end
    end
  end
  n = #KEYS - 1
else
  for i = 2, #KEYS do n = n + call('ZREM', KEYS[i], pid) end
end
return n
