-- Record posts in their authors' own timelines and the body cache; report each author's pace.
-- KEYS: per post ut(author), pm, px, pb. ARGV: cap, burst window ms, body ttl, then per post
-- id, score, body. Returns per post: mode ('' undecided, 'gone' deleted), count, span.
-- Cluster (issue 19): ut is the author's slot, pm/px/pb the post's: two slots per post.
local cap, win, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local out = {}
for i = 0, #KEYS / 4 - 1 do
  local ut, pm, px, pb = KEYS[4*i+1], KEYS[4*i+2], KEYS[4*i+3], KEYS[4*i+4]
  local pid, score, body = ARGV[4+3*i], tonumber(ARGV[5+3*i]), ARGV[6+3*i]
  if redis.call('EXISTS', px) == 1 then
    out[#out+1] = 'gone'; out[#out+1] = 0; out[#out+1] = 0
  else
    redis.call('SET', pb, body, 'EX', ttl)
    redis.call('ZADD', ut, score, pid)
    local card = redis.call('ZCARD', ut)
    if card > cap then redis.call('ZREMRANGEBYRANK', ut, 0, card - cap - 1) end
    local lo = string.format('(%d', score - win)
    local count = redis.call('ZCOUNT', ut, lo, score)
    local first = redis.call('ZRANGE', ut, lo, score, 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
    local span = 0
    if #first == 2 then span = score - tonumber(first[2]) end
    out[#out+1] = redis.call('GET', pm) or ''; out[#out+1] = count; out[#out+1] = span
  end
end
return out
