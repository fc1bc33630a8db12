"""The erasure epoch (issue 23, docs/privacy.md): one Redis counter every destroyed data key
bumps, so that every warm instance drops its cached copy of that key on its next use instead
of keeping it for the cache's TTL (shared/adapters/data_keys.py)."""

from __future__ import annotations

from shared.adapters import redis_keys as keys
from shared.adapters.clients import RedisClient


class RedisErasureEpoch:
    def __init__(self, client: RedisClient) -> None:
        self._r = client

    def current(self) -> int:
        value = self._r.get(keys.erasure_epoch())
        return int(value) if value is not None else 0

    def bump(self) -> int:
        return int(self._r.incr(keys.erasure_epoch()))
