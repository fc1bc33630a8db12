"""The platform's one rate limiter: a per-key sliding window in Redis (one Lua run per attempt).

Every function instance shares the one Redis, so the limit holds across instances, which an
in-process counter could not. The window of a key is a sorted set ``{prefix}{key}`` of admitted
attempts scored by time (ms): the script drops what fell out of the window, admits the attempt
if fewer than ``limit`` remain, and otherwise answers how long until the oldest one leaves the
window, which is the exact Retry-After. Refused attempts are not recorded, so hammering a full
window does not extend it. The key expires with the window, so idle users cost nothing.

It implements the RateLimiter port (shared/ports.py); each use of it (posts, uploads, the
write limits of every route) is one instance with its own key prefix. ``take`` counts in the
instance's own window; ``take_all`` counts one attempt in several windows at once (the write
limits: per user, per address, per pair, each with its own size), by the same script
(``lua/sliding_window.lua``).

On Redis Cluster (issue 19) each window key is hash-tagged by its subject
(``shared.adapters.redis_keys.rate_window_in``), so the windows of one request usually live in
different slots and no one script may touch them all. ``take_all`` then runs the script once
per slot group, in a fixed order, and when a later group refuses, takes the attempt back out of
the groups that admitted it (ZREM of this attempt's unique member): a refused attempt still
counts nowhere. Between the two steps a concurrent request may see one window a place fuller
than it ends up, i.e. the cluster errs by refusing, never by admitting past a limit. On a
single Redis there is one group and it is the one atomic script, as before.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Sequence
from typing import Any, cast

import redis

from shared import ids
from shared.adapters import lua, redis_keys
from shared.adapters.clients import slot_of

# Key prefixes of the windows (one sorted set per user): posts' attempts and media uploads.
POSTS_PREFIX = "rl:posts:"
UPLOADS_PREFIX = "media:uploads:"

# Key prefix of the write limits of shared/domain/limits.py (the Router's, every write route).
LIMITS_PREFIX = "rl:"


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
        self._client = client
        self._script = client.register_script(lua.source("sliding_window"))
        self._slot = slot_of(client)

    def key(self, key: str) -> str:
        """The Redis key of ``key``'s window (for tools and tests that inspect it)."""
        return redis_keys.rate_window_in(self._prefix, key)

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
        member = f"{now}-{secrets.token_hex(4)}"
        groups: dict[int, list[tuple[str, int, int]]] = {}
        for k, n, seconds in live:
            key = self.key(k)
            groups.setdefault(self._slot(key), []).append((key, n, seconds))
        admitted: list[str] = []
        for group in groups.values():
            args: list[Any] = [now, member]
            for _, n, seconds in group:
                args += [seconds * 1000, n]
            keys = [key for key, _, _ in group]
            wait_ms = int(cast(int, self._script(keys=keys, args=args)))
            if wait_ms > 0:
                for key in admitted:  # one key per call: no command spans two slots
                    self._client.zrem(key, member)
                return max(1, math.ceil(wait_ms / 1000))
            admitted += keys
        return None
