"""Engagement counters in Redis (ports.EngagementCounters): one hash per post, ``en:{pid}``.

Fields (lua/engagement_apply.lua, lua/engagement_rebuild.lua): ``l``, ``r``, ``p`` the like,
reply and repost counts; ``ok`` once those counts are complete; and one field per record,
``l:<uid>`` / ``p:<uid>`` / ``r:<reply id>`` = +version when on, -version when off. The record
fields make every switch idempotent (newest version wins) and answer ``liked_by_me`` /
``reposted_by_me`` in the same HMGET as the counts: a page reads its posts' engagement with one
command per post, queued in the page's existing hydration pipeline (redis_timeline.round).

Firestore holds the truth; a hash lost with Redis (no ``ok``) is rebuilt from it by the use
case (shared/usecases/engagement.py). Per-post keys are hash-tagged ``{pid}``: every script
touches one slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis

from shared.adapters import lua
from shared.adapters import redis_keys as keys
from shared.domain.conversations import Kind, Switch
from shared.domain.model import Engagement


def read_fields(viewer: str | None) -> list[str]:
    """The HMGET fields of one post's engagement for ``viewer`` (None: counts only)."""
    mine = [f"l:{viewer}", f"p:{viewer}"] if viewer else ["l:", "p:"]
    return ["ok", "l", "r", "p", *mine]


def engagement_of(values: Sequence[bytes | None]) -> Engagement | None:
    """Decode ``read_fields``' values; None when the counts are not complete (rebuild them)."""
    ok, likes, replies, reposts, liked, reposted = values
    if ok is None:
        return None
    return Engagement(
        like_count=max(0, int(likes or 0)),
        reply_count=max(0, int(replies or 0)),
        repost_count=max(0, int(reposts or 0)),
        liked_by_me=liked is not None and int(liked) > 0,
        reposted_by_me=reposted is not None and int(reposted) > 0,
    )


def field_of(s: Switch) -> tuple[str, int]:
    return f"{s.kind}:{s.member}", s.version if s.active else -s.version


class RedisEngagement:
    def __init__(self, client: redis.Redis[bytes]) -> None:
        self.r = client
        self._apply = client.register_script(lua.source("engagement_apply"))
        self._rebuild = client.register_script(lua.source("engagement_rebuild"))

    def apply(self, s: Switch) -> int | None:
        """Apply one switch; the kind's count after it, None when the counts are incomplete."""
        res = self._apply(
            keys=[keys.engagement(s.post_id)],
            args=[str(s.kind), s.member, s.version, 1 if s.active else 0],
        )
        return None if res is None else int(res)

    def rebuild(self, post_id: int, records: Sequence[Switch]) -> Engagement:
        """Merge the store's records of one post and complete its counts."""
        args: list[Any] = []
        for s in records:
            args += list(field_of(s))
        likes, replies, reposts = self._rebuild(keys=[keys.engagement(post_id)], args=args)
        return Engagement(int(likes), int(replies), int(reposts))

    def read(self, post_ids: Sequence[int], viewer: str | None) -> dict[int, Engagement | None]:
        """Each post's engagement for ``viewer`` (None: incomplete), one pipeline."""
        unique = list(dict.fromkeys(post_ids))
        if not unique:
            return {}
        pipe = self.r.pipeline(transaction=False)
        fields = read_fields(viewer)
        for pid in unique:
            pipe.hmget(keys.engagement(pid), fields)
        return {pid: engagement_of(vals) for pid, vals in zip(unique, pipe.execute(), strict=True)}

    def member_state(self, kind: Kind, post_id: int, member: str) -> bool:
        raw = self.r.hget(keys.engagement(post_id), f"{kind}:{member}")
        return raw is not None and int(raw) > 0
