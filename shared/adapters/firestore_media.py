"""Media documents on Firestore: ``media/{media_id}`` and ``avatars/{user_id}``.

A media doc is created ``pending`` when the upload URL is issued and moves exactly once, in a
transaction, to ``ready`` (with its variants) or ``rejected`` (with a reason), recording the
object generation it was decided on. Every later delivery of a notification finds it no longer
pending and changes nothing: that is the processor's idempotency. Variant object names are
stored, not URLs, so moving the CDN to another host needs no migration.

The repository returns records and refs; it decides nothing about who may use them. Where a
rule of shared/domain/media.py must hold atomically with a write (setting an avatar, releasing
a post's media) the transaction evaluates that domain rule on its own snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, cast

from google.cloud import firestore

from shared.domain import media as domain
from shared.domain.media import MediaRecord, StoredVariant
from shared.ids import now_ms

__all__ = ["AVATARS", "MEDIA", "MediaRecord", "MediaRepository", "StoredVariant"]

MEDIA = "media"
AVATARS = "avatars"
PENDING_TTL = dt.timedelta(days=8)


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
        now = now_ms()
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
                ref, {**fields, "updated_ms": now_ms(), "expires_at": firestore.DELETE_FIELD}
            )
            return True

        return bool(run(self._db.transaction()))

    # -- use by posts and profiles ----------------------------------------------------------
    def ref_of(self, rec: MediaRecord, alt: str | None = None) -> domain.MediaRef:
        """The embeddable ref, its URLs on this deployment's public base URL."""
        return domain.media_ref(rec, self._base, alt)

    def get_many(self, media_ids: Iterable[str]) -> dict[str, MediaRecord]:
        refs = [self._doc(m) for m in dict.fromkeys(media_ids)]
        if not refs:
            return {}
        return {s.id: _record_of(s.id, s.to_dict()) for s in self._db.get_all(refs) if s.exists}

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
                if not domain.deletable_by(_record_of(snap.id, d), owner_id):
                    return False
                left = [p for p in d.get("post_ids", []) if p != str(post_id)]
                if left:
                    txn.update(ref, {"post_ids": left, "updated_ms": now_ms()})
                    return False
                txn.update(ref, {"post_ids": [], "status": "deleted", "updated_ms": now_ms()})
                return True

            if run(self._db.transaction()):
                freed.append(media_id)
        return freed

    def mark_deleted(self, owner_id: str, media_ids: Iterable[str]) -> list[str]:
        """Mark the owner's media deleted; the ids that were live (their variants can go)."""
        changed = []
        for media_id, rec in self.get_many(media_ids).items():
            if not domain.deletable_by(rec, owner_id):
                continue
            self._doc(media_id).update({"status": "deleted", "updated_ms": now_ms()})
            changed.append(media_id)
        return changed

    def set_avatar(
        self, owner_id: str, media_id: str | None
    ) -> tuple[domain.MediaRef | None, str | None]:
        """(new avatar ref or None when cleared, previous avatar media id if it changed).

        The avatar rule (domain.check_usable: the caller's, ready, uploaded as an avatar) is
        checked inside the transaction, on the snapshot the write depends on: a media item
        deleted or replaced concurrently can then never become an avatar.
        """
        avatar_ref = self._db.collection(AVATARS).document(owner_id)
        media_ref = self._doc(media_id) if media_id else None

        @firestore.transactional  # type: ignore[untyped-decorator]
        def run(txn: Any) -> tuple[MediaRecord | None, str | None]:
            rec = None
            if media_ref is not None:
                snap = media_ref.get(transaction=txn)
                rec = _record_of(snap.id, snap.to_dict()) if snap.exists else None
                domain.check_usable(rec, owner_id, media_id or "", "avatar")
            current = avatar_ref.get(transaction=txn)
            previous = current.get("media_id") if current.exists else None
            if rec is None:
                txn.delete(avatar_ref)
            else:
                txn.set(avatar_ref, {"media_id": rec.media_id, "updated_ms": now_ms()})
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
