"""The rules of a data export (art. 20, portability; docs/privacy.md). Pure, no I/O.

An export is one record per person (``exports/{subject_key}``) that moves
``queued`` → ``building`` (parts done / total) → ``ready`` (a signed URL) or ``failed``.
POST /v1/me/export starts one (or answers the one still running); the account exporter builds
it from the ``ExportRequested`` event. At most one an hour, counted from the last one started
that did not fail; a queued or building export that made no progress for STALL_MS is failed.
"""

from __future__ import annotations

from typing import Any

from shared.domain import errors
from shared.domain.account import subject_key

QUEUED, BUILDING, READY, FAILED = "queued", "building", "ready", "failed"
RUNNING = (QUEUED, BUILDING)
# What an archive is made of, in the order the exporter builds (and counts) them.
PARTS = ("profile", "posts", "media", "following", "followers", "likes")
EVERY_MS = 3_600_000  # one archive an hour per person: each reads everything of theirs
# A queued or building export that has not moved for this long is failed (its event dead-lettered
# after the subscription's retries, or its function gone): a new POST may start another.
STALL_MS = 15 * 60_000


def export_event_id(uid: str, export_id: str) -> str:
    # One per export: every delivery and re-publish of it is the same event for the consumer.
    return f"export-{subject_key(uid)[:40]}-{export_id}"


def object_name(uid: str, export_id: str) -> str:
    """One object per export: a redelivered event overwrites it, never makes a second."""
    return f"exports/{subject_key(uid)}/{export_id}.json"


def status_of(rec: dict[str, Any], now_ms: int) -> str:
    status = str(rec.get("status", QUEUED))
    moved_ms = int(rec.get("updated_ms", rec.get("created_ms", 0)))
    if status in RUNNING and now_ms - moved_ms > STALL_MS:
        return FAILED
    return status


def check_may_start(rec: dict[str, Any] | None, now_ms: int) -> bool:
    """True: start a new export; False: the running one is the answer; RateLimited within the
    hour of the last one that did not fail."""
    if rec is None:
        return True
    status = status_of(rec, now_ms)
    if status in RUNNING:
        return False
    if status == FAILED:
        return True
    wait_ms = int(rec.get("created_ms", 0)) + EVERY_MS - now_ms
    if wait_ms > 0:
        raise errors.RateLimited(
            "one export an hour; the last one is still available",
            retry_after_s=wait_ms // 1000 + 1,
        )
    return True


def progress_json(rec: dict[str, Any], now_ms: int) -> dict[str, Any]:
    """The API's ExportStatus without the URL (the use case signs it)."""
    status = status_of(rec, now_ms)
    total = int(rec.get("parts_total", len(PARTS)))
    done = total if status == READY else int(rec.get("parts_done", 0))
    out: dict[str, Any] = {
        "status": status,
        "export_id": str(rec.get("export_id", "")),
        "parts_done": done,
        "parts_total": total,
        "progress": round(done / total, 3) if total else 1.0,
        "created_ms": int(rec.get("created_ms", 0)),
    }
    if status == FAILED:
        out["reason"] = str(rec.get("reason") or "stalled")
    return out
