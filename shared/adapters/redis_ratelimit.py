"""Per-key sliding-window rate limiting in Redis (one Lua script run per attempt).

Every function instance shares the one Redis, so the limit holds across instances, which an
in-process counter could not. The window is a sorted set ``rl:{name}:{key}`` of attempt
timestamps (ms): the script drops what fell out of the window, admits the attempt if fewer than
``limit`` remain, and otherwise answers how long until the oldest one leaves the window — the
exact Retry-After. The key expires with the window, so idle users cost nothing.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import Any, cast

import redis

# KEYS: the window zset. ARGV: now ms, window ms, limit, a unique member for this attempt.
# Returns 0 when admitted, else the milliseconds until a slot frees up.
_SLIDING = """
local now, win, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], win)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + win - now
if wait < 1 then wait = 1 end
return wait
"""


class RedisRateLimiter:
    def __init__(
        self, client: redis.Redis[bytes], name: str, limit: int, window_seconds: int
    ) -> None:
        self._name = name
        self.limit = limit
        self.window_ms = max(1, window_seconds) * 1000
        self._script = client.register_script(_SLIDING)

    def key(self, key: str) -> str:
        """The Redis key of ``key``'s window (for tools and tests that inspect it)."""
        return f"rl:{self._name}:{key}"

    def hit(self, key: str) -> int | None:
        """Count one attempt for ``key``: None when admitted, else whole seconds to wait (>= 1).

        A limit of 0 or less disables limiting. Redis errors propagate: the caller decides
        whether to fail open.
        """
        if self.limit <= 0:
            return None
        now = time.time_ns() // 1_000_000
        member = f"{now}-{secrets.token_hex(4)}"
        args: list[Any] = [now, self.window_ms, self.limit, member]
        wait_ms = int(cast(int, self._script(keys=[self.key(key)], args=args)))
        if wait_ms <= 0:
            return None
        return max(1, math.ceil(wait_ms / 1000))
