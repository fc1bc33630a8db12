"""What Firestore holds about one person, for erasure and export (issue 23, docs/privacy.md).

- ``erasures/{subject_key}``: the deletion status (``deleting`` / ``deleted``, times). Keyed by
  a digest of the user id so that what outlives the erasure names nobody.
- Theirs, found by ``author_id`` / ``owner_id`` / document id: the posts read model, the event
  log under ``users/{uid}``, the idempotency records, media records, the avatar document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.firestore_author_stats import AUTHOR_STATS
from shared.adapters.firestore_media import AVATARS, MEDIA, _record_of
from shared.adapters.firestore_notifications import COLLECTION as NOTIFICATIONS
from shared.adapters.firestore_notifications import ROWS as NOTIFICATION_ROWS
from shared.adapters.firestore_posts import EVENTS, IDEMPOTENCY, POSTS, USERS, _post_of
from shared.domain.account import DELETED, DELETING, subject_key
from shared.domain.media import MediaRecord
from shared.domain.model import Post
from shared.ids import now_ms

ERASURES = "erasures"
EXPORTS = "exports"
BATCH = 400


class FirestoreAccountData:
    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    # -- status -----------------------------------------------------------------------------

    def _status_ref(self, uid: str) -> firestore.DocumentReference:
        return self._db.collection(ERASURES).document(subject_key(uid))

    def erasure_status(self, uid: str) -> tuple[str, int | None] | None:
        snap = self._status_ref(uid).get()
        if not snap.exists:
            return None
        d = snap.to_dict() or {}
        return str(d.get("status", DELETING)), d.get("done_ms")

    def mark_deleting(self, uid: str) -> None:
        ref = self._status_ref(uid)
        if not ref.get().exists:
            ref.set({"status": DELETING, "requested_ms": now_ms()})

    def mark_deleted(self, uid: str) -> None:
        self._status_ref(uid).set({"status": DELETED, "done_ms": now_ms()}, merge=True)

    # -- exports ----------------------------------------------------------------------------

    def export_record(self, uid: str) -> dict[str, Any] | None:
        snap = self._db.collection(EXPORTS).document(subject_key(uid)).get()
        return snap.to_dict() if snap.exists else None

    def save_export_record(self, uid: str, record: dict[str, Any]) -> None:
        self._db.collection(EXPORTS).document(subject_key(uid)).set(record)

    def delete_export_record(self, uid: str) -> None:
        self._db.collection(EXPORTS).document(subject_key(uid)).delete()

    def update_export_record(
        self, uid: str, export_id: str, fields: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Change export ``export_id``'s record in one transaction; None, writing nothing, when
        it is gone (erased) or another export replaced it: never resurrects a deleted record."""
        ref = self._db.collection(EXPORTS).document(subject_key(uid))

        @firestore.transactional  # type: ignore[untyped-decorator]
        def run(tx: firestore.Transaction) -> dict[str, Any] | None:
            snap = ref.get(transaction=tx)
            rec = snap.to_dict() if snap.exists else None
            if rec is None or rec.get("export_id") != export_id:
                return None
            tx.update(ref, fields)
            return {**rec, **fields}

        out: dict[str, Any] | None = run(self._db.transaction())
        return out

    def unpublished_exports(self, limit: int, older_than_ms: int) -> list[dict[str, Any]]:
        """Export records whose ExportRequested was never acked by Pub/Sub (the outbox)."""
        query = self._db.collection(EXPORTS).where(filter=FieldFilter("published", "==", False))
        recs = [s.to_dict() or {} for s in query.limit(limit).stream()]
        return [r for r in recs if int(r.get("created_ms", 0)) < older_than_ms]

    # -- what is theirs ---------------------------------------------------------------------

    def _by(self, collection: str, field: str, uid: str) -> firestore.Query:
        return self._db.collection(collection).where(filter=FieldFilter(field, "==", uid))

    def posts_of(self, uid: str) -> list[Post]:
        """Every post of theirs in the read model, deleted ones (tombstones) included."""
        return [_post_of(s.to_dict() or {}) for s in self._by(POSTS, "author_id", uid).stream()]

    def logged_post_ids(self, uid: str) -> set[int]:
        log = self._db.collection(USERS).document(uid).collection(EVENTS)
        return {int(s.get("post_id")) for s in log.stream() if s.get("post_id") is not None}

    def media_of(self, uid: str) -> list[MediaRecord]:
        return [
            _record_of(s.id, s.to_dict() or {}) for s in self._by(MEDIA, "owner_id", uid).stream()
        ]

    def avatar_doc(self, uid: str) -> dict[str, Any] | None:
        snap = self._db.collection(AVATARS).document(uid).get()
        return snap.to_dict() if snap.exists else None

    def _refs(self, uid: str) -> Iterator[firestore.DocumentReference]:
        for coll, field in ((POSTS, "author_id"), (IDEMPOTENCY, "author_id"), (MEDIA, "owner_id")):
            for snap in self._by(coll, field, uid).stream():
                yield snap.reference
        user = self._db.collection(USERS).document(uid)
        for snap in user.collection(EVENTS).stream():
            yield snap.reference
        yield user
        yield self._db.collection(AVATARS).document(uid)
        yield self._db.collection(AUTHOR_STATS).document(uid)
        # their notifications' durable copy (docs/notifications.md): rows and read mark
        inbox = self._db.collection(NOTIFICATIONS).document(uid)
        for snap in inbox.collection(NOTIFICATION_ROWS).stream():
            yield snap.reference
        yield inbox

    def delete_all(self, uid: str) -> int:
        """Delete every document of theirs (idempotent: absent documents are no error)."""
        n, batch = 0, self._db.batch()
        for ref in self._refs(uid):
            batch.delete(ref)
            n += 1
            if n % BATCH == 0:
                batch.commit()
                batch = self._db.batch()
        batch.commit()
        return n
