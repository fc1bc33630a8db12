"""Likes and reposts on Firestore: the truth behind every engagement count (docs/conversations.md).

Collections:

- ``likes/{pid}-{sha(uid)}`` and ``reposts/{pid}-{sha(uid)}``: ONE record per (user, post),
  switched on and off: ``active``, ``version`` (bumped by every switch), ``at_ms`` (when it was
  last switched on), ``key`` (``at_ms`` zero-padded + the doc id: a unique sort key for keyset
  pages), ``post_id``, ``user_id``, ``author_id`` and, for reposts, ``created_ms``.
- ``engagement_outbox/{event_id}``: the outbox of the events the switches announce
  (PostLiked/PostUnliked on engagement-events, PostReposted/RepostRemoved on post-events),
  written in the same transaction as the record; ``data`` is the wire JSON.

No counter document exists: a like storm on one post writes one record per liker (different
documents), so Firestore's ~1 write/s per document never applies. The counts are derived from
the records (shared/adapters/redis_engagement.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared import events, ids
from shared.domain.conversations import Kind, Switch, record_event_id
from shared.domain.model import Post

LIKES = "likes"
REPOSTS = "reposts"
OUTBOX = "engagement_outbox"
BATCH_LIMIT = 500

_COLLECTION = {Kind.LIKE: LIKES, Kind.REPOST: REPOSTS}


def record_id(post_id: int, user_id: str) -> str:
    # User ids are opaque (up to 128 characters, any text): hashed, so no "/" can make a path.
    return f"{post_id}-{hashlib.sha256(user_id.encode()).hexdigest()[:40]}"


def _sort_key(at_ms: int, doc_id: str) -> str:
    return f"{at_ms:015d}-{doc_id}"


def _event_of(data: dict[str, Any] | None) -> events.EngagementEvent:
    if data is None or not isinstance(data.get("data"), str):
        raise events.InvalidEvent("outbox document has no data")
    event = events.decode(data["data"])
    if not isinstance(
        event, events.PostLiked | events.PostUnliked | events.PostReposted | events.RepostRemoved
    ):
        raise events.InvalidEvent(f"{event.type} does not belong in the engagement outbox")
    return event


class FirestoreEngagement:
    """The EngagementRecords port and the engagement outbox, on one Firestore client."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def _ref(self, kind: Kind, post_id: int, user_id: str) -> firestore.DocumentReference:
        return self._db.collection(_COLLECTION[kind]).document(record_id(post_id, user_id))

    def switch(
        self, kind: Kind, post: Post, user_id: str, active: bool, *, trace_id: str | None = None
    ) -> tuple[Switch, events.EngagementEvent | None]:
        """Switch the caller's record on or off in one transaction with its outbox event.

        Returns the record's state and the event appended, None when the record was already
        in that state (idempotent: nothing is written). Reads one document, writes two: the
        transaction only ever contends with the same user's own switches of the same post.
        """
        ref = self._ref(kind, post.id, user_id)

        @firestore.transactional  # type: ignore[untyped-decorator]
        def run(tx: firestore.Transaction) -> tuple[Switch, events.EngagementEvent | None]:
            snap = ref.get(transaction=tx)
            old = snap.to_dict() if snap.exists else None
            version = int(old["version"]) if old else 0
            if bool(old and old.get("active")) == active:
                return Switch(kind, post.id, user_id, version, active), None
            now = ids.now_ms()
            at_ms = now if active else int((old or {}).get("at_ms", now))
            version += 1
            event = self._event(kind, post, user_id, active, version, at_ms, now, trace_id)
            tx.set(
                ref,
                {
                    "post_id": post.id,
                    "user_id": user_id,
                    "author_id": post.author_id,
                    "created_ms": post.created_ms,
                    "active": active,
                    "version": version,
                    "at_ms": at_ms,
                    "key": _sort_key(at_ms, ref.id),
                    "updated_ms": now,
                },
            )
            data, _ = events.encode(event)
            tx.create(
                self._db.collection(OUTBOX).document(event.event_id),
                {
                    "event_id": event.event_id,
                    "type": event.type,
                    "occurred_ms": now,
                    "published": False,
                    "data": data.decode("utf-8"),
                },
            )
            return Switch(kind, post.id, user_id, version, active), event

        result: tuple[Switch, events.EngagementEvent | None] = run(self._db.transaction())
        return result

    @staticmethod
    def _event(
        kind: Kind,
        post: Post,
        user_id: str,
        active: bool,
        version: int,
        at_ms: int,
        now: int,
        trace_id: str | None,
    ) -> events.EngagementEvent:
        common: dict[str, Any] = {
            "event_id": record_event_id(str(kind), post.id, user_id, version),
            "occurred_ms": now,
            "trace_id": trace_id,
            "post_id": str(post.id),
            "author_id": post.author_id,
        }
        if kind is Kind.LIKE:
            cls = events.PostLiked if active else events.PostUnliked
            return cls(**common, user_id=user_id, liked_ms=at_ms)
        rcls = events.PostReposted if active else events.RepostRemoved
        return rcls(**common, reposter_id=user_id, created_ms=post.created_ms, reposted_ms=at_ms)

    def get_switch(self, kind: Kind, post_id: int, user_id: str) -> Switch | None:
        """The record as the store holds it (consumers trust this, not the message)."""
        snap = self._ref(kind, post_id, user_id).get()
        if not snap.exists:
            return None
        d = snap.to_dict() or {}
        return Switch(kind, post_id, user_id, int(d["version"]), bool(d["active"]))

    def switches_of_post(self, post_id: int) -> list[Switch]:
        """Every like and repost record of a post, on or off (a counter rebuild)."""
        out: list[Switch] = []
        for kind, coll in _COLLECTION.items():
            query = (
                self._db.collection(coll)
                .where(filter=FieldFilter("post_id", "==", post_id))
                .select(["user_id", "version", "active"])
            )
            for snap in query.stream():
                d = snap.to_dict() or {}
                out.append(
                    Switch(kind, post_id, str(d["user_id"]), int(d["version"]), bool(d["active"]))
                )
        return out

    def count_active(self, kind: Kind, post_id: int) -> int:
        """The active records of a post, by a count() aggregation (the answer when Redis is
        out)."""
        query = (
            self._db.collection(_COLLECTION[kind])
            .where(filter=FieldFilter("post_id", "==", post_id))
            .where(filter=FieldFilter("active", "==", True))
        )
        result = query.count(alias="n").get()
        return int(result[0][0].value) if result and result[0] else 0

    def _page(
        self, field: str, value: Any, kind: Kind, limit: int, before: str | None
    ) -> list[dict[str, Any]]:
        query = (
            self._db.collection(_COLLECTION[kind])
            .where(filter=FieldFilter(field, "==", value))
            .where(filter=FieldFilter("active", "==", True))
        )
        if before is not None:
            query = query.where(filter=FieldFilter("key", "<", before))
        query = query.order_by("key", direction=firestore.Query.DESCENDING).limit(limit)
        return [s.to_dict() or {} for s in query.stream()]

    def likers(self, post_id: int, limit: int, before: str | None) -> list[tuple[str, str]]:
        """(user id, sort key) of who likes the post, newest like first, keys below ``before``."""
        return [
            (str(d["user_id"]), str(d["key"]))
            for d in self._page("post_id", post_id, Kind.LIKE, limit, before)
        ]

    def liked_by(self, user_id: str, limit: int, before: str | None) -> list[tuple[int, str]]:
        """(post id, sort key) of what the user likes, newest like first."""
        return [
            (int(d["post_id"]), str(d["key"]))
            for d in self._page("user_id", user_id, Kind.LIKE, limit, before)
        ]

    def reposts_by(self, user_id: str, limit: int) -> list[tuple[int, int]]:
        """(post id, reposted ms) of the user's reposts that are on, newest first (a timeline
        rebuild re-records them after a Redis loss)."""
        return [
            (int(d["post_id"]), int(d["at_ms"]))
            for d in self._page("user_id", user_id, Kind.REPOST, limit, None)
        ]

    # erasure (issue 23) -------------------------------------------------------------------

    def switches_of_user(self, user_id: str) -> list[Switch]:
        """Every like and repost record of the user, on or off (their account's erasure)."""
        return self._switches_where("user_id", user_id)

    def switches_on_posts_by(self, author_id: str) -> list[Switch]:
        """Everyone's like and repost records of the author's posts (each names the author)."""
        return self._switches_where("author_id", author_id)

    def _switches_where(self, field: str, value: str) -> list[Switch]:
        out: list[Switch] = []
        for kind, coll in _COLLECTION.items():
            query = (
                self._db.collection(coll)
                .where(filter=FieldFilter(field, "==", value))
                .select(["post_id", "user_id", "version", "active"])
            )
            for snap in query.stream():
                d = snap.to_dict() or {}
                out.append(Switch(kind, int(d["post_id"]), str(d["user_id"]), int(d["version"]),
                                  bool(d["active"])))  # fmt: skip
        return out

    def delete_switches(self, switches: Sequence[Switch]) -> int:
        """Delete the records and every outbox event each of them ever wrote: the event ids
        are deterministic (one per version), so events from before this code are found too,
        and an unpublished one is never published. Idempotent."""
        refs = []
        for sw in switches:
            refs.append(self._ref(sw.kind, sw.post_id, sw.member))
            refs += [
                self._db.collection(OUTBOX).document(
                    record_event_id(str(sw.kind), sw.post_id, sw.member, v)
                )
                for v in range(1, sw.version + 1)
            ]
        for start in range(0, len(refs), BATCH_LIMIT):
            batch = self._db.batch()
            for ref in refs[start : start + BATCH_LIMIT]:
                batch.delete(ref)
            batch.commit()
        return len(refs)

    # outbox -------------------------------------------------------------------------------

    def unpublished_events(
        self, limit: int, older_than_ms: int | None = None
    ) -> list[events.EngagementEvent]:
        query = self._db.collection(OUTBOX).where(filter=FieldFilter("published", "==", False))
        if older_than_ms is not None:
            query = query.where(filter=FieldFilter("occurred_ms", "<", older_than_ms))
        query = query.order_by("occurred_ms").limit(limit)
        return [_event_of(s.to_dict()) for s in query.stream()]

    def mark_published(self, published: Sequence[events.EngagementEvent]) -> None:
        now = ids.now_ms()
        batch = self._db.batch()
        pending = 0
        for event in published:
            batch.update(
                self._db.collection(OUTBOX).document(event.event_id),
                {"published": True, "published_ms": now},
            )
            pending += 1
            if pending == BATCH_LIMIT:
                batch.commit()
                batch, pending = self._db.batch(), 0
        if pending:
            batch.commit()
