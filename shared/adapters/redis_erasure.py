"""Erasing one person from Redis (issue 23, docs/privacy.md): every key of theirs and every
entry of their posts in other people's home timelines.

- their posts: each is deleted as a post deletion does (``RedisTimelines.delete_post``: the
  tombstone ``px:{pid}`` that keeps a replayed FanoutBatch from adding it back, no body, out of
  the author's own timeline, which pull-mode readers merge), then removed from the home
  timeline of each follower (the pushed copies), and its mode ``pm:{pid}`` dropped. The
  tombstone names a post id only and expires (MODE_TTL_S);
- their own keys: every key whose name carries their id as a whole segment (``tl:{uid}``,
  ``ut:{uid}`` and the pieces of both, ``tl:{uid}:<i>`` and ``ut:{uid}:<i>``, ``fw:{uid}``,
  ``act:{uid}``, ``rg:{uid}``, ``am:{uid}``, ``pc:{uid}``, the rate windows ``rl:…:{uid}`` and
  ``rl:posts:uid``), found by SCAN (a one-off per deletion, not a request path; on a cluster
  the client scans every master);
- them in others' keys: their id in each follower's followee cache ``fw:{follower}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import redis

from shared import ids
from shared.adapters import redis_keys as keys
from shared.adapters.redis_timeline import RedisTimelines

_SEGMENTS = re.compile(r"[:{}>|]")


def names_user(key: str, uid: str) -> bool:
    return uid in _SEGMENTS.split(key)


class RedisErasure:
    def __init__(self, client: redis.Redis[bytes], timelines: RedisTimelines) -> None:
        self.r = client
        self.tl = timelines

    def erase(self, uid: str, post_ids: Iterable[int], followers: Sequence[str]) -> int:
        """Remove them; returns how many keys of theirs were deleted. Idempotent."""
        for pid in post_ids:
            self.tl.delete_post(pid, uid)
            if followers:
                self.tl.apply_batch("remove", pid, followers)
            # Its mode, and its engagement counters (issue 20): nothing of the post stays.
            self.r.delete(keys.post_mode(pid), keys.engagement(pid))
        for f in followers:
            self.r.srem(keys.followees(f), uid)
        return self.delete_keys_naming(uid)

    def erase_reposts(self, uid: str, post_ids: Iterable[int], followers: Sequence[str]) -> None:
        """Their reposts out of their followers' timelines, as an un-repost does, and their
        name out of each original's repost records (the guard that orders a late un-repost
        is no longer needed: the deleted record makes the planner drop a replayed repost)."""
        now = ids.now_ms()
        for pid in post_ids:
            got = self.tl.remove_repost(pid, uid, now)
            if got is not None and followers:
                self.tl.apply_repost_batch("remove", got[0], pid, followers)
            self.r.hdel(keys.removed_reposts(pid), uid)

    def forget_engagement(self, post_ids: Iterable[int]) -> None:
        """Drop the posts' counters (which hold a field per liker): the next read rebuilds them
        from the store's records, which no longer have this person's."""
        self._delete_each([keys.engagement(pid) for pid in post_ids])

    def forget_bodies(self, post_ids: Iterable[int]) -> None:
        """Drop the posts' cached bodies: the next read caches them again from the store."""
        self._delete_each([keys.post_body(pid) for pid in post_ids])

    def _delete_each(self, names: Sequence[str]) -> None:
        for start in range(0, len(names), 500):
            pipe = self.r.pipeline(transaction=False)  # one key per command: any slot
            for name in names[start : start + 500]:
                pipe.delete(name)
            pipe.execute()

    def keys_naming(self, uid: str) -> list[str]:
        found = []
        for raw in self.r.scan_iter(match=f"*{_glob_escape(uid)}*", count=1000):
            k = raw.decode() if isinstance(raw, bytes) else str(raw)
            if names_user(k, uid):
                found.append(k)
        return found

    def delete_keys_naming(self, uid: str) -> int:
        n = 0
        for k in self.keys_naming(uid):
            n += int(self.r.delete(k))
        return n


def _glob_escape(s: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", s)
