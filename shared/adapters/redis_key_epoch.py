"""The erasure epoch (issue 23, docs/privacy.md): one Redis counter every destroyed data key
bumps, so that every warm instance drops its cached copy of that key on its next use instead
of keeping it for the cache's TTL (shared/adapters/data_keys.py)."""

from __future__ import annotations

import logging

import redis

from shared.adapters import redis_keys as keys
from shared.adapters.clients import RedisClient

log = logging.getLogger(__name__)


class RedisErasureEpoch:
    def __init__(self, client: RedisClient) -> None:
        self._r = client

    def current(self) -> int | None:
        """The epoch; None while Redis cannot be read. Posting and reading must not depend on
        Redis being up (the outage drills): the keys cache then falls back to its TTL, as
        before the epoch existed, and checks again once Redis answers."""
        try:
            value = self._r.get(keys.erasure_epoch())
        except redis.RedisError as exc:
            log.warning("erasure epoch unreadable (%s); data keys cached for their TTL", exc)
            return None
        return int(value) if value is not None else 0

    def bump(self) -> int:
        # Raises while Redis is down: the eraser's message is redelivered and bumps it then.
        return int(self._r.incr(keys.erasure_epoch()))
