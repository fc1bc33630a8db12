"""The platform's one rate limiter: a per-key sliding window in Redis (one Lua run per attempt).

Every function instance shares the one Redis, so the limit holds across instances, which an
in-process counter could not. The window of a key is a sorted set ``{prefix}{key}`` of admitted
attempts scored by time (ms): the script drops what fell out of the window, admits the attempt
if fewer than ``limit`` remain, and otherwise answers how long until the oldest one leaves the
window, which is the exact Retry-After. Refused attempts are not recorded, so hammering a full
window does not extend it. The key expires with the window, so idle users cost nothing.

It implements the RateLimiter port (shared/ports.py); each use of it (posts, uploads, the
write limits of every route) is one instance with its own key prefix. ``take`` counts in the
instance's own window; ``take_all`` counts one attempt in several windows atomically (the write
limits: per user, per address, per pair, each with its own size), by the same script.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Sequence
from typing import Any, cast

import redis

from shared import ids

# Key prefixes of the windows (one sorted set per user): posts' attempts and media uploads.
POSTS_PREFIX = "rl:posts:"
UPLOADS_PREFIX = "media:uploads:"

# Key prefix of the write limits of shared/domain/limits.py (the Router's, every write route).
LIMITS_PREFIX = "rl:"

# KEYS: the window zsets. ARGV: now ms, a unique member for this attempt, then per key its
# window ms and limit. All windows are checked first and the attempt is recorded in all of them
# only when every one has room, so a refused attempt counts nowhere (one full window does not
# spend the others). Returns 0 when admitted, else the milliseconds until every full window
# has a slot free.
_SLIDING = """
local now, member = tonumber(ARGV[1]), ARGV[2]
local wait = 0
for i, key in ipairs(KEYS) do
  local win, limit = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - win)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local w = tonumber(oldest[2]) + win - now
    if w < 1 then w = 1 end
    if w > wait then wait = w end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local win = tonumber(ARGV[1 + 2 * i])
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, win)
end
return 0
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
        return self.take_all([(key, self.limit, self.window_seconds)])

    def take_all(self, windows: Sequence[tuple[str, int, int]]) -> int | None:
        """Count one attempt in every window ``(key, limit, seconds)`` at once (keys under this
        limiter's prefix), or in none: None when all admit it, else the whole seconds until
        all would (the Retry-After). Windows with a limit <= 0 are left out."""
        live = [(k, n, max(1, s)) for k, n, s in windows if n > 0]
        if not live:
            return None
        now = self._clock()
        args: list[Any] = [now, f"{now}-{secrets.token_hex(4)}"]
        for _, n, s in live:
            args += [s * 1000, n]
        keys = [self.key(k) for k, _, _ in live]
        wait_ms = int(cast(int, self._script(keys=keys, args=args)))
        if wait_ms <= 0:
            return None
        return max(1, math.ceil(wait_ms / 1000))
