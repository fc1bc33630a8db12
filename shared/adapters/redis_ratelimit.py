"""The platform's one rate limiter: a per-key sliding window in Redis (one Lua run per attempt).

Every function instance shares the one Redis, so the limit holds across instances, which an
in-process counter could not. The window of a key is a sorted set ``{prefix}{key}`` of admitted
attempts scored by time (ms): the script drops what fell out of the window, admits the attempt
if fewer than ``limit`` remain, and otherwise answers how long until the oldest one leaves the
window, which is the exact Retry-After. Refused attempts are not recorded, so hammering a full
window does not extend it. The key expires with the window, so idle users cost nothing.

It implements the RateLimiter port (shared/ports.py); each use of it (posts, uploads) is one
instance with its own key prefix, limit and window.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from typing import Any, cast

import redis

from shared import ids

# Key prefixes of the windows (one sorted set per user): posts' attempts and media uploads.
POSTS_PREFIX = "rl:posts:"
UPLOADS_PREFIX = "media:uploads:"

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
    """At most ``limit`` attempts per key in any ``window_seconds``; a limit <= 0 disables it."""

    def __init__(
        self,
        client: redis.Redis[bytes],
        key_prefix: str,
        limit: int,
        window_seconds: int,
        *,
        clock: Callable[[], int] = ids.now_ms,
    ) -> None:
        self._prefix = key_prefix
        self._clock = clock  # unix ms; a test may stop it to get an exact Retry-After
        self.limit = limit
        self.window_seconds = max(1, window_seconds)
        self._window_ms = self.window_seconds * 1000
        self._script = client.register_script(_SLIDING)

    def key(self, key: str) -> str:
        """The Redis key of ``key``'s window (for tools and tests that inspect it)."""
        return f"{self._prefix}{key}"

    def take(self, key: str) -> int | None:
        """Count one attempt for ``key``: None when admitted, else whole seconds to wait (>= 1).

        Redis errors propagate: the caller decides whether to fail open.
        """
        if self.limit <= 0:
            return None
        now = self._clock()
        member = f"{now}-{secrets.token_hex(4)}"
        args: list[Any] = [now, self._window_ms, self.limit, member]
        wait_ms = int(cast(int, self._script(keys=[self.key(key)], args=args)))
        if wait_ms <= 0:
            return None
        return max(1, math.ceil(wait_ms / 1000))
