"""Each user's blocks and mutes, cached in Redis: one hash per user, ``sl:{uid}``.

Fields: another user's id -> the relation's flags seen from ``uid`` (shared.domain.safety:
``b`` uid blocks them, ``k`` they block uid, ``m`` uid mutes them); ``""`` = loaded (the hash
holds every relation the graph has); ``#v`` = a write counter (neither can be a user id).
Neo4j (shared/adapters/neo4j_safety.py) is the truth: a hash lost with Redis is refilled from it
on the next read (silence_fill.lua refuses a refill that raced a write). Asking about N people
is one ``HMGET`` of N + 2 fields, in the user's slot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import redis

from shared.adapters import lua
from shared.adapters import redis_keys as keys

LOADED, VERSION = "", "#v"


class RedisSilencing:
    """ports.SilenceCache."""

    def __init__(self, client: redis.Redis[bytes]) -> None:
        self.r = client
        self._apply = client.register_script(lua.source("silence_apply"))
        self._fill = client.register_script(lua.source("silence_fill"))

    def flags(self, uid: str, others: Sequence[str]) -> tuple[dict[str, str] | None, str]:
        """(the flags of each of ``others`` that has any, or None when not loaded; the
        version to fill with)."""
        vals = self.r.hmget(keys.silencing(uid), [LOADED, VERSION, *others])
        version = vals[1].decode() if vals[1] is not None else ""
        if vals[0] is None:
            return None, version
        return {o: v.decode() for o, v in zip(others, vals[2:], strict=True) if v}, version

    def apply(self, uid: str, other: str, flag: str, on: bool) -> None:
        self._apply(keys=[keys.silencing(uid)], args=[other, flag, "1" if on else "0"])

    def fill(self, uid: str, version: str, relations: Mapping[str, str]) -> bool:
        args: list[str] = [version]
        for other, fl in relations.items():
            args += [other, fl]
        return bool(self._fill(keys=[keys.silencing(uid)], args=args))

    def forget(self, uid: str) -> None:
        self.r.delete(keys.silencing(uid))


SUSPENSION_TTL_S = 300  # a lifted or new suspension is set here at once; the TTL bounds a loss


class RedisSuspensions:
    """ports.SuspensionCache: ``sp:{uid}`` = ``1`` suspended / ``0`` not, for a few minutes."""

    def __init__(self, client: redis.Redis[bytes]) -> None:
        self.r = client

    def states(self, ids: Sequence[str]) -> dict[str, bool]:
        pipe = self.r.pipeline(transaction=False)
        for u in ids:
            pipe.get(keys.suspension(u))
        return {u: v == b"1" for u, v in zip(ids, pipe.execute(), strict=True) if v is not None}

    def put(self, states: Mapping[str, bool]) -> None:
        pipe = self.r.pipeline(transaction=False)
        for u, on in states.items():
            pipe.set(keys.suspension(u), b"1" if on else b"0", ex=SUSPENSION_TTL_S)
        if states:
            pipe.execute()
