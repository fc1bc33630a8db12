-- Frees the home timelines of followers found inactive at fan-out, unless they became active
-- meanwhile (a read regenerates the timeline, then sets act: an unconditional UNLINK could race
-- with it and drop the fresh timeline). KEYS: per user tl, act, tr, th (the repost marks of tl
-- go with it); the users of one call share a slot (the adapter groups them; a user's keys are
-- always one slot).
local n = 0
for i = 1, #KEYS, 4 do
  if redis.call('EXISTS', KEYS[i]) == 1 and redis.call('EXISTS', KEYS[i+1]) == 0 then
    n = n + redis.call('UNLINK', KEYS[i])
    redis.call('UNLINK', KEYS[i+2], KEYS[i+3])
  end
end
return n
