"""The durable copy of the notification rows (ports.NotificationArchive), on Firestore.

``notifications/{uid}/notification_rows/{row id}``: the row's compact JSON (``row``), its
position (``seq``, the query's order), its actors' HyperLogLog (``hll``, grouped rows) and
``expires_at`` (the row's latest activity + 31 days, the TTL policy of
infra/terraform/modules/firestore: the copy answers for 30 days).
``notifications/{uid}`` holds the read mark (``read``). The notifier writes a row when it is
new and then at most every ``FLUSH_MS`` (shared/adapters/redis_notifications.py): a post liked
100k times costs one write per 2 s of its burst, not one per like. Queries order one
subcollection by one field: Firestore's automatic single-field index serves them.
"""

from __future__ import annotations

import datetime as dt
import json

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.domain.notifications import KEEP_DAYS, StoredGroup

COLLECTION = "notifications"
ROWS = "notification_rows"
KEEP = dt.timedelta(days=KEEP_DAYS + 1)


class FirestoreNotifications:
    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def _user(self, uid: str) -> firestore.DocumentReference:
        return self._db.collection(COLLECTION).document(uid)

    def put(self, uid: str, group: StoredGroup, at_ms: int) -> None:
        expires = dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC) + KEEP
        actors = json.loads(group.row).get("a") or []
        doc = {"row": group.row, "seq": group.seq, "hll": group.hll, "expires_at": expires,
               "actors": actors}  # fmt: skip
        self._user(uid).collection(ROWS).document(group.id).set(doc)

    def load(self, uid: str, limit: int) -> tuple[list[StoredGroup], int]:
        """(the newest ``limit`` rows, newest first; the read mark)."""
        now = dt.datetime.now(dt.UTC)
        q = (
            self._user(uid)
            .collection(ROWS)
            .order_by("seq", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        rows: list[StoredGroup] = []
        for snap in q.stream():
            d = snap.to_dict() or {}
            exp = d.get("expires_at")
            if isinstance(exp, dt.datetime) and exp < now:
                continue  # past the TTL, not deleted yet
            hll = d.get("hll")
            rows.append(
                StoredGroup(snap.id, int(d["seq"]), str(d["row"]), bytes(hll) if hll else None)
            )
        mark = self._user(uid).get()
        read = int((mark.to_dict() or {}).get("read", 0)) if mark.exists else 0
        return rows, read

    def rows_naming(self, actor: str) -> list[tuple[str, StoredGroup]]:
        """(recipient, row) of every row that shows ``actor`` (a collection-group query on
        ``actors``: the index in infra/terraform/modules/firestore)."""
        q = self._db.collection_group(ROWS).where(
            filter=FieldFilter("actors", "array_contains", actor)
        )
        out: list[tuple[str, StoredGroup]] = []
        for snap in q.stream():
            parent = snap.reference.parent.parent
            if parent is None:
                continue
            d = snap.to_dict() or {}
            hll = d.get("hll")
            out.append((parent.id, StoredGroup(snap.id, int(d["seq"]), str(d["row"]),
                                               bytes(hll) if hll else None)))  # fmt: skip
        return out

    def replace_row(self, uid: str, group_id: str, row: str | None) -> None:
        """The row as an erasure left it (None: gone)."""
        ref = self._user(uid).collection(ROWS).document(group_id)
        if row is None:
            ref.delete()
            return
        ref.update({"row": row, "actors": json.loads(row).get("a") or []})

    def set_read(self, uid: str, read: int) -> None:
        self._user(uid).set({"read": read}, merge=True)

    def delete_user(self, uid: str) -> None:
        """Every row and the mark of ``uid`` (account erasure)."""
        rows = self._user(uid).collection(ROWS)
        while True:
            docs = list(rows.limit(400).stream())
            if not docs:
                break
            batch = self._db.batch()
            for d in docs:
                batch.delete(d.reference)
            batch.commit()
        self._user(uid).delete()
