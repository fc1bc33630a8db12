"""Notifications in Redis (ports.NotificationStore): a capped, compact structure per recipient.

Per recipient (every key tagged ``{uid}``: each script stays in one slot; redis_keys.py):
``nz`` a zset of row ids by position, ``ng`` a hash of compact JSON rows, ``nm`` the meta
(``seq`` counter, ``read`` mark, ``ok``), and one HyperLogLog ``nh:{uid}:<row>`` per grouped row
(likes, reposts, follows): PFADD says whether an actor is new to the row, which makes a
redelivered event a no-op and keeps a row liked 100k times at one hash field plus one HLL of at
most 12 KB. Rows past ``CAP`` are trimmed oldest first; every key expires after ``TTL_S``
without activity (the durable copy answers for 30 days: shared/adapters/firestore_notifications.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis

from shared.adapters import lua
from shared.adapters import redis_keys as keys
from shared.domain import notifications as domain
from shared.domain.notifications import Added, StoredGroup

TTL_S = 35 * 86400
FLUSH_MS = 2000  # a hot row is copied to the durable store at most every 2 s
FLUSH_UPTO = 20  # a row of at most this many actors is copied on every change


def _s(v: bytes | str) -> str:
    return v.decode() if isinstance(v, bytes) else v


class RedisNotifications:
    def __init__(
        self,
        client: redis.Redis[bytes],
        *,
        cap: int = domain.CAP,
        flush_ms: int = FLUSH_MS,
        ttl_s: int = TTL_S,
    ) -> None:
        self.r = client
        self.cap, self.flush_ms, self.ttl_s = cap, flush_ms, ttl_s
        self._add = client.register_script(lua.source("notify_add"))
        self._restore = client.register_script(lua.source("notify_restore"))
        self._page = client.register_script(lua.source("notify_page"))
        self._unread = client.register_script(lua.source("notify_unread"))
        self._read = client.register_script(lua.source("notify_read"))
        self._forget = client.register_script(lua.source("notify_forget"))

    def add(self, a: domain.Activity, now_ms: int) -> Added | None:
        """None when the recipient's rows are not loaded (restore them first)."""
        u, gid = a.recipient, a.group_id
        res: list[Any] = self._add(
            keys=[
                keys.notification_rows(u),
                keys.notification_bodies(u),
                keys.notification_actors(u, gid),
                keys.notification_meta(u),
            ],
            args=[
                gid, a.actor, a.kind, a.post_id or "", a.subject_post_id or "", a.at_ms,
                1 if a.grouped else 0, self.cap, self.ttl_s, now_ms, self.flush_ms,
                domain.MAX_ACTORS, FLUSH_UPTO,
            ],
        )  # fmt: skip
        status = int(res[0])
        if status < 0:
            return None
        if status == 0:
            return Added(written=False)
        hll = res[4] if len(res) > 4 and res[4] else None
        return Added(
            written=True,
            group=StoredGroup(
                gid, int(res[1]), _s(res[3]), hll if isinstance(hll, bytes) else None
            ),
            flush=int(res[2]) == 1,
        )

    def restore(self, uid: str, groups: Sequence[StoredGroup], read_mark: int) -> None:
        """Merge the durable copy back in (newer rows win) and mark the recipient loaded."""
        pipe = self.r.pipeline(transaction=False)
        restored = []
        for g in groups:
            if g.hll:
                tmp = keys.notification_actors_restore(uid, g.id)
                pipe.set(tmp, g.hll, ex=60)
                pipe.pfmerge(keys.notification_actors(uid, g.id), tmp)
                pipe.expire(keys.notification_actors(uid, g.id), self.ttl_s)
                pipe.delete(tmp)
                restored.append(g.id)
        if restored:
            pipe.execute()
        args: list[Any] = [read_mark, self.cap, self.ttl_s]
        for g in groups:
            args += [g.id, g.seq, g.row]
        self._restore(
            keys=[keys.notification_rows(uid), keys.notification_bodies(uid),
                  keys.notification_meta(uid)],
            args=args,
        )  # fmt: skip

    def page(
        self, uid: str, before: int | None, limit: int
    ) -> tuple[int, int, list[domain.Group]] | None:
        """(read mark, unread, rows newest first below ``before``); None when not loaded."""
        res: list[Any] = self._page(
            keys=[keys.notification_rows(uid), keys.notification_bodies(uid),
                  keys.notification_meta(uid)],
            args=["+inf" if before is None else before, limit],
        )  # fmt: skip
        if int(res[0]) < 0 and len(res) == 1:
            return None
        rows = [domain.decode_group(_s(res[i]), res[i + 1]) for i in range(2, len(res) - 1, 2)]
        return int(res[0]), int(res[1]), rows

    def unread(self, uid: str) -> int | None:
        n = int(self._unread(keys=[keys.notification_rows(uid), keys.notification_meta(uid)]))
        return None if n < 0 else n

    def mark_read(self, uid: str, seq: int) -> tuple[int, int] | None:
        """(read mark, unread) after moving the mark forward to ``seq``; None when not loaded."""
        res: list[Any] = self._read(
            keys=[keys.notification_rows(uid), keys.notification_meta(uid)], args=[seq]
        )
        if int(res[0]) < 0 and len(res) == 1:
            return None
        return int(res[0]), int(res[1])

    def forget_actor(self, uid: str, actor: str) -> list[tuple[str, str | None]]:
        """``actor`` (an erased account) out of ``uid``'s rows: (row id, new row or None when
        the row went) for each row changed."""
        res: list[Any] = self._forget(
            keys=[keys.notification_rows(uid), keys.notification_bodies(uid)], args=[actor]
        )
        out: list[tuple[str, str | None]] = []
        for i in range(0, len(res) - 1, 2):
            row = _s(res[i + 1])
            out.append((_s(res[i]), row or None))
        return out

    def forget(self, uid: str) -> None:
        """Drop the recipient's rows (tests and drills: what a Redis wipe does to one user)."""
        self.r.delete(
            keys.notification_rows(uid), keys.notification_bodies(uid), keys.notification_meta(uid)
        )
