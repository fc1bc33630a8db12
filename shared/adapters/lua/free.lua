-- Frees the home timelines of followers found inactive at fan-out, unless they became active
-- meanwhile (a read regenerates the timeline, then sets act: an unconditional UNLINK could race
-- with it and drop the fresh timeline). KEYS: per user act, tr, th (the repost marks of tl go
-- with it), then the home timeline's head and its `n` piece keys; the users of one call share a
-- slot (the adapter groups them; a user's keys are always one slot). ARGV: n.
-- #include pieces
local n = tonumber(ARGV[1])
local freed = 0
for i = 1, #KEYS, n + 4 do
  local ks = slice(KEYS, i + 3, i + 3 + n)
  if call('EXISTS', ks[1]) == 1 and call('EXISTS', KEYS[i]) == 0 then
    drop(ks)
    freed = freed + 1
    call('UNLINK', KEYS[i + 1], KEYS[i + 2])
  end
end
return freed
