"""Profile cards in Redis (ports.ProfileCards): what a page shows of a person, written through.

``pc:{uid}`` is a hash: ``h`` handle, ``d`` display name, ``a`` the avatar's media_json (absent
when the user has none). No TTL: registration and profile changes put the card, an avatar change
updates it, so a read of it is never stale; a card lost with Redis is filled again on read by
whoever needs it (the timeline reader) from the graph and the media repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import redis

from shared.adapters import lua
from shared.adapters import redis_keys as keys
from shared.domain.model import User


def card_of(uid: str, fields: Sequence[bytes | None]) -> User | None:
    """The card of ``uid`` from its (handle, display name, avatar) fields; None when absent.

    The one decoding of a card (the timeline's read round returns the same three fields)."""
    handle, name, avatar = fields
    if handle is None or name is None:
        return None
    return User(
        id=uid, handle=handle.decode(), display_name=name.decode(),
        avatar=json.loads(avatar) if avatar else None,
    )  # fmt: skip


def _avatar_arg(avatar: dict[str, Any] | None) -> str:
    return "" if avatar is None else json.dumps(avatar, separators=(",", ":"))


class RedisProfileCards:
    def __init__(self, client: redis.Redis[bytes]) -> None:
        self.r = client
        self._put = client.register_script(lua.source("put_card"))
        self._set_avatar = client.register_script(lua.source("set_avatar"))

    def cards(self, user_ids: Sequence[str]) -> dict[str, User]:
        if not user_ids:
            return {}
        pipe = self.r.pipeline(transaction=False)
        for u in user_ids:
            pipe.hmget(keys.card(u), ["h", "d", "a"])
        out: dict[str, User] = {}
        for u, fields in zip(user_ids, pipe.execute(), strict=True):
            c = card_of(u, fields)
            if c is not None:
                out[u] = c
        return out

    def put_cards(self, users: Iterable[User]) -> None:
        pipe = self.r.pipeline(transaction=False)
        n = 0
        for u in users:
            n += 1
            args = [u.handle, u.display_name, _avatar_arg(u.avatar)]
            # A raw EVAL of the (tiny) script: a Redis Cluster pipeline takes no Script objects
            # and routes EVAL by its one key; no NOSCRIPT on a fresh or promoted master.
            pipe.execute_command(  # type: ignore[no-untyped-call]
                "EVAL", lua.source("put_card"), 1, keys.card(u.id), *args
            )
        if n:
            pipe.execute()

    def set_avatar(self, user_id: str, avatar: dict[str, Any] | None) -> None:
        self._set_avatar(keys=[keys.card(user_id)], args=[_avatar_arg(avatar)])
