"""Media documents on Firestore: ``media/{media_id}`` and ``avatars/{user_id}``.

A media doc is created ``pending`` when the upload URL is issued and moves exactly once, in a
transaction, to ``ready`` (with its variants) or ``rejected`` (with a reason), recording the
object generation it was decided on. Every later delivery of a notification finds it no longer
pending and changes nothing: that is the processor's idempotency. Variant object names are
stored, not URLs, so moving the CDN to another host needs no migration.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from google.cloud import firestore

from shared.domain import errors
from shared.domain import media as domain

MEDIA = "media"
AVATARS = "avatars"
PENDING_TTL = dt.timedelta(days=8)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class StoredVariant:
    label: str
    width: int
    height: int
    object_name: str
    bytes: int


@dataclass(frozen=True)
class MediaRecord:
    media_id: str
    owner_id: str
    purpose: domain.Purpose
    status: domain.Status
    alt: str
    created_ms: int
    declared_type: str
    declared_size: int
    generation: int | None = None
    reason: str | None = None
    message: str | None = None
    source_type: str | None = None
    width: int = 0
    height: int = 0
    variants: tuple[StoredVariant, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """What the owner sees from GET /v1/media/{id}."""
        body: dict[str, Any] = {
            "media_id": self.media_id,
            "status": self.status,
            "purpose": self.purpose,
            "created_ms": self.created_ms,
        }
        if self.status == "rejected":
            body["reason"] = self.reason
            body["message"] = self.message
        return body


def _record_of(media_id: str, d: dict[str, Any]) -> MediaRecord:
    return MediaRecord(
        media_id=media_id,
        owner_id=str(d["owner_id"]),
        purpose=cast(domain.Purpose, d["purpose"]),
        status=cast(domain.Status, d["status"]),
        alt=str(d.get("alt", "")),
        created_ms=int(d.get("created_ms", 0)),
        declared_type=str(d.get("declared_type", "")),
        declared_size=int(d.get("declared_size", 0)),
        generation=int(d["generation"]) if d.get("generation") is not None else None,
        reason=d.get("reason"),
        message=d.get("message"),
        source_type=d.get("source_type"),
        width=int(d.get("width", 0)),
        height=int(d.get("height", 0)),
        variants=tuple(
            StoredVariant(
                str(v["label"]),
                int(v["width"]),
                int(v["height"]),
                str(v["object_name"]),
                int(v.get("bytes", 0)),
            )
            for v in d.get("variants", [])
        ),
    )


class MediaRepository:
    def __init__(self, client: firestore.Client, public_base_url: str) -> None:
        self._db = client
        self._base = public_base_url

    def _doc(self, media_id: str) -> Any:
        return self._db.collection(MEDIA).document(media_id)

    # -- upload request ---------------------------------------------------------------------
    def create_pending(self, media_id: str, owner_id: str, new: domain.NewMedia) -> MediaRecord:
        now = _now_ms()
        doc = {
            "owner_id": owner_id,
            "purpose": new.purpose,
            "status": "pending",
            "alt": new.alt,
            "created_ms": now,
            "updated_ms": now,
            "declared_type": new.content_type,
            "declared_size": new.byte_size,
            # A Firestore TTL policy on this field removes docs of uploads never finished
            # (the session URL dies after 7 days); deciding the media clears it.
            "expires_at": dt.datetime.now(dt.UTC) + PENDING_TTL,
        }
        self._doc(media_id).create(doc)  # media ids are random 128-bit: a clash is a bug
        return _record_of(media_id, doc)

    def get(self, media_id: str) -> MediaRecord | None:
        snap = self._doc(media_id).get()
        return _record_of(media_id, snap.to_dict()) if snap.exists else None

    # -- processing -------------------------------------------------------------------------
    def finish_ready(
        self,
        media_id: str,
        generation: int,
        source_type: str,
        width: int,
        height: int,
        variants: Sequence[StoredVariant],
    ) -> bool:
        return self._finish(
            media_id,
            {
                "status": "ready",
                "generation": generation,
                "source_type": source_type,
                "width": width,
                "height": height,
                "variants": [v.__dict__ for v in variants],
            },
        )

    def finish_rejected(self, media_id: str, generation: int, reason: str, message: str) -> bool:
        return self._finish(
            media_id,
            {"status": "rejected", "generation": generation, "reason": reason,
             "message": message[:500]},
        )  # fmt: skip

    def _finish(self, media_id: str, fields: dict[str, Any]) -> bool:
        """pending -> final, once. False when another delivery decided it already."""
        ref = self._doc(media_id)

        @firestore.transactional  # type: ignore[untyped-decorator]
        def run(txn: Any) -> bool:
            snap = ref.get(transaction=txn)
            if not snap.exists or snap.get("status") != "pending":
                return False
            txn.update(
                ref, {**fields, "updated_ms": _now_ms(), "expires_at": firestore.DELETE_FIELD}
            )
            return True

        return bool(run(self._db.transaction()))

    # -- use by posts and profiles ----------------------------------------------------------
    def ref_of(self, rec: MediaRecord, alt: str | None = None) -> domain.MediaRef:
        return domain.MediaRef(
            media_id=rec.media_id,
            purpose=rec.purpose,
            width=rec.width,
            height=rec.height,
            alt=rec.alt if alt is None else alt,
            variants=tuple(
                domain.Variant(
                    v.label, v.width, v.height, domain.public_url(self._base, v.object_name)
                )
                for v in rec.variants
            ),
        )

    def get_many(self, media_ids: Iterable[str]) -> dict[str, MediaRecord]:
        refs = [self._doc(m) for m in dict.fromkeys(media_ids)]
        if not refs:
            return {}
        return {s.id: _record_of(s.id, s.to_dict()) for s in self._db.get_all(refs) if s.exists}

    def claim_for_post(
        self, owner_id: str, media_ids: Sequence[str], alts: dict[str, str] | None = None
    ) -> list[domain.MediaRef]:
        """The refs to embed in a new post, in the given order; raises the API error otherwise.

        404 unknown (or deleted), 403 someone else's, 409 not ready (pending or rejected), 422
        avatar media or more than four. ``alts`` optionally overrides the alt text per media id.
        """
        ids = domain.parse_media_ids(list(media_ids))
        found = self.get_many(ids)
        refs = []
        for media_id in ids:
            rec = found.get(media_id)
            if rec is None or rec.status == "deleted":
                raise errors.NotFound(f"no media {media_id}", details={"media_id": media_id})
            if rec.owner_id != owner_id:
                raise errors.PermissionDenied(
                    f"media {media_id} belongs to someone else", details={"media_id": media_id}
                )
            if rec.status != "ready":
                raise errors.Conflict(
                    f"media {media_id} is {rec.status}, not ready",
                    details={"media_id": media_id, "status": rec.status, "reason": rec.reason},
                )
            if rec.purpose != "post":
                raise errors.ValidationFailed(
                    f"media {media_id} was uploaded as an avatar", details={"media_id": media_id}
                )
            alt = (alts or {}).get(media_id)
            refs.append(self.ref_of(rec, None if alt is None else domain.parse_alt(alt)))
        return refs

    def attach_to_post(self, media_ids: Sequence[str], post_id: int) -> None:
        """Record that ``post_id`` shows these media (after the post is created; idempotent).

        A media item may be shown by several posts (claiming validates, it does not lock), so
        deleting one post deletes the files only when no other post still shows them.
        """
        if not media_ids:
            return
        batch = self._db.batch()
        for media_id in media_ids:
            batch.update(self._doc(media_id), {"post_ids": firestore.ArrayUnion([str(post_id)])})
        batch.commit()

    def release_from_post(self, owner_id: str, media_ids: Iterable[str], post_id: int) -> list[str]:
        """Detach a deleted post; the ids no post shows any more, now marked deleted."""
        freed = []
        for media_id in dict.fromkeys(media_ids):
            ref = self._doc(media_id)

            @firestore.transactional  # type: ignore[untyped-decorator]
            def run(txn: Any, ref: Any = ref) -> bool:
                snap = ref.get(transaction=txn)
                if not snap.exists:
                    return False
                d = snap.to_dict()
                if d.get("owner_id") != owner_id or d.get("status") == "deleted":
                    return False
                left = [p for p in d.get("post_ids", []) if p != str(post_id)]
                if left:
                    txn.update(ref, {"post_ids": left, "updated_ms": _now_ms()})
                    return False
                txn.update(ref, {"post_ids": [], "status": "deleted", "updated_ms": _now_ms()})
                return True

            if run(self._db.transaction()):
                freed.append(media_id)
        return freed

    def mark_deleted(self, owner_id: str, media_ids: Iterable[str]) -> list[str]:
        """Mark the owner's media deleted; the ids that were live (their variants can go)."""
        changed = []
        for media_id, rec in self.get_many(media_ids).items():
            if rec.owner_id != owner_id or rec.status == "deleted":
                continue
            self._doc(media_id).update({"status": "deleted", "updated_ms": _now_ms()})
            changed.append(media_id)
        return changed

    def set_avatar(
        self, owner_id: str, media_id: str | None
    ) -> tuple[domain.MediaRef | None, str | None]:
        """(new avatar ref or None when cleared, previous avatar media id if it changed)."""
        avatar_ref = self._db.collection(AVATARS).document(owner_id)
        media_ref = self._doc(media_id) if media_id else None

        @firestore.transactional  # type: ignore[untyped-decorator]
        def run(txn: Any) -> tuple[MediaRecord | None, str | None]:
            rec = None
            if media_ref is not None:
                snap = media_ref.get(transaction=txn)
                rec = _record_of(snap.id, snap.to_dict()) if snap.exists else None
                _check_avatar(owner_id, media_id or "", rec)
            current = avatar_ref.get(transaction=txn)
            previous = current.get("media_id") if current.exists else None
            if rec is None:
                txn.delete(avatar_ref)
            else:
                txn.set(avatar_ref, {"media_id": rec.media_id, "updated_ms": _now_ms()})
            return rec, (previous if previous != media_id else None)

        rec, previous = run(self._db.transaction())
        return (self.ref_of(rec) if rec else None), previous

    def get_avatars(self, user_ids: Iterable[str]) -> dict[str, domain.MediaRef]:
        """Avatar refs by user id, for profiles and timeline hydration (two batched reads)."""
        refs = [self._db.collection(AVATARS).document(u) for u in dict.fromkeys(user_ids)]
        if not refs:
            return {}
        media_of = {s.id: s.get("media_id") for s in self._db.get_all(refs) if s.exists}
        records = self.get_many(media_of.values())
        return {
            uid: self.ref_of(records[m])
            for uid, m in media_of.items()
            if m in records and records[m].status == "ready"
        }


def _check_avatar(owner_id: str, media_id: str, rec: MediaRecord | None) -> None:
    if rec is None or rec.status == "deleted":
        raise errors.NotFound(f"no media {media_id}", details={"media_id": media_id})
    if rec.owner_id != owner_id:
        raise errors.PermissionDenied(f"media {media_id} belongs to someone else")
    if rec.status != "ready":
        raise errors.Conflict(
            f"media {media_id} is {rec.status}, not ready",
            details={"media_id": media_id, "status": rec.status, "reason": rec.reason},
        )
    if rec.purpose != "avatar":
        raise errors.ValidationFailed(f"media {media_id} was not uploaded as an avatar")
