-- An erased account leaves one recipient's rows (docs/notifications.md, docs/privacy.md).
-- KEYS[1] nz:{uid}, KEYS[2] ng:{uid}; ARGV[1] the erased actor.
-- Each row naming the actor loses them (its count one lower); a row left with no actor goes.
-- Returns {gid, row or "", ...} of the rows it changed ("" = removed). Idempotent.
local zkey, gkey, actor = KEYS[1], KEYS[2], ARGV[1]
local out = {}
local all = redis.call('HGETALL', gkey)
for i = 1, #all, 2 do
  local gid, raw = all[i], all[i + 1]
  if string.find(raw, actor, 1, true) then
    local row = cjson.decode(raw)
    local kept, kept_ms, found = {}, {}, false
    local times = row.m or {}
    for i, a in ipairs(row.a or {}) do
      if a == actor then
        found = true
      else
        kept[#kept + 1] = a
        kept_ms[#kept_ms + 1] = times[i] or 0
      end
    end
    if found then
      if #kept == 0 then
        redis.call('HDEL', gkey, gid)
        redis.call('ZREM', zkey, gid)
        out[#out + 1] = gid
        out[#out + 1] = ''
      else
        row.a = kept
        row.m = kept_ms
        local n = (row.n or 1) - 1
        if n < #kept then n = #kept end
        row.n = n
        local enc = cjson.encode(row)
        redis.call('HSET', gkey, gid, enc)
        out[#out + 1] = gid
        out[#out + 1] = enc
      end
    end
  end
end
return out
