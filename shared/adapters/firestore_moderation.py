"""Reports and the moderators' audit log in Firestore (issue 21, docs/safety.md).

- ``reports/{id}``: one per reporter and target (``id`` = digest of both, so a retried report
  is the same document): ``reporter_id``, ``subject`` (post|user), ``target``,
  ``target_author_id``, ``reason``, ``text``, ``status`` (open|closed), ``created_ms``,
  ``target_key`` (``subject:target``: the reports an action closes), and while open
  ``open_key`` (``<created_ms 13 digits>-<id>``): ordering by it lists only open reports, oldest
  first, on Firestore's automatic single-field index (no composite index to deploy).
- ``moderation_audit/{id}``: every moderator and admin action: ``action``, ``actor_id``,
  ``target``, ``reason``, ``at_ms`` and ``key`` (``<at_ms 13 digits>-<id>``, newest first).
  Ids are derived from the action, so a retried action writes the same entry once.
"""

from __future__ import annotations

import contextlib
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

REPORTS = "reports"
MODERATORS = "moderators"  # moderators/{uid}: present while the role is granted
AUDIT = "moderation_audit"
_PUBLIC = ("id", "subject", "target", "reason", "text", "status", "created_ms",
           "reporter_id", "target_author_id")  # fmt: skip


def _shown(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in _PUBLIC if k in d}


class FirestoreModeration:
    """ports.ModerationStore."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def add_report(self, report: dict[str, Any]) -> bool:
        ref = self._db.collection(REPORTS).document(report["id"])
        doc = {**report, "status": "open",
               "target_key": f"{report['subject']}:{report['target']}",
               "open_key": f"{report['created_ms']:013d}-{report['id']}"}  # fmt: skip
        try:
            ref.create(doc)
            return True
        except gexc.AlreadyExists:
            snap = ref.get()
            if (snap.to_dict() or {}).get("status") == "open":
                return False
            ref.set(doc)  # closed before: a new report of the same target
            return True

    def get_report(self, report_id: str) -> dict[str, Any] | None:
        snap = self._db.collection(REPORTS).document(report_id).get()
        return _shown(snap.to_dict() or {}) if snap.exists else None

    def open_reports(
        self, limit: int, after: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        q = self._db.collection(REPORTS).order_by("open_key")
        if after:
            q = q.start_after({"open_key": after})
        docs = [d.to_dict() or {} for d in q.limit(limit + 1).stream()]
        more = len(docs) > limit
        docs = docs[:limit]
        nxt = str(docs[-1]["open_key"]) if more and docs else None
        return [_shown(d) for d in docs], nxt

    def close_reports(self, subject: str, target: str, by: str, action: str) -> int:
        q = self._db.collection(REPORTS).where(
            filter=FieldFilter("target_key", "==", f"{subject}:{target}")
        )
        n = 0
        for snap in q.stream():
            if (snap.to_dict() or {}).get("status") == "open":
                snap.reference.update({"status": "closed", "closed_by": by,
                                       "closed_action": action,
                                       "open_key": firestore.DELETE_FIELD})  # fmt: skip
                n += 1
        return n

    def close_report(self, report_id: str, by: str, action: str) -> bool:
        ref = self._db.collection(REPORTS).document(report_id)
        snap = ref.get()
        if not snap.exists:
            return False
        if (snap.to_dict() or {}).get("status") == "open":
            ref.update({"status": "closed", "closed_by": by, "closed_action": action,
                        "open_key": firestore.DELETE_FIELD})  # fmt: skip
        return True

    def audit(self, entry: dict[str, Any]) -> None:
        doc = {**entry, "key": f"{entry['at_ms']:013d}-{entry['id']}"}
        with contextlib.suppress(gexc.AlreadyExists):  # a retried action: its entry is there
            self._db.collection(AUDIT).document(entry["id"]).create(doc)

    def audit_log(self, limit: int, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
        q = self._db.collection(AUDIT).order_by("key", direction=firestore.Query.DESCENDING)
        if after:
            q = q.start_after({"key": after})
        docs = [d.to_dict() or {} for d in q.limit(limit + 1).stream()]
        more = len(docs) > limit
        docs = docs[:limit]
        nxt = str(docs[-1]["key"]) if more and docs else None
        return [{k: v for k, v in d.items() if k != "key"} for d in docs], nxt

    # ---- the granted moderators: a revocation takes effect at once -----------------------

    def set_moderator(self, uid: str, on: bool, at_ms: int) -> None:
        ref = self._db.collection(MODERATORS).document(uid)
        if on:
            ref.set({"uid": uid, "granted_ms": at_ms})
        else:
            ref.delete()

    def is_moderator(self, uid: str) -> bool:
        return bool(self._db.collection(MODERATORS).document(uid).get().exists)
