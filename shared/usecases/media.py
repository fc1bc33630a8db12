"""Media use cases: issuing uploads, showing and using media, and deciding what was uploaded.

Why it exists: bytes never pass through a function. ``MediaService`` (the ``media`` HTTP
function) validates a declaration, takes one unit of the caller's hourly upload budget, records
a ``pending`` media item and hands out a resumable upload session on the private uploads
bucket; it also shows the caller their media, sets avatars and lets posts claim, attach and
release media. ``MediaProcessor`` (the ``media_processor`` function) decides from the bytes that
actually arrived: WebP variants on the public media bucket and ``ready``, or ``rejected`` with a
reason; either way the original upload is deleted.

What it promises: who may see or use a media item is decided by shared/domain/media.py only;
a media item is decided once per object generation, so a redelivered notification changes
nothing (the record moves out of ``pending`` exactly once); a replaced avatar and media no post
shows any more lose their files. It speaks to the world through shared/ports.py only.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.domain import errors
from shared.domain import media as domain
from shared.domain.media import MediaRecord, MediaRef, StoredVariant
from shared.ports import MediaRecords, ProfileCards, RateLimiter, Storage

log = logging.getLogger(__name__)

# What GCS promises for a resumable session URL; the lifecycle rule cleans up what it leaves.
SESSION_LIFETIME = dt.timedelta(days=7)


class MediaService:
    def __init__(
        self,
        repo: MediaRecords,
        storage: Storage,
        limiter: RateLimiter,
        *,
        uploads_per_hour: int,
        cards: ProfileCards | None = None,
    ) -> None:
        """``limiter`` counts uploads per user over an hour, ``uploads_per_hour`` of them (the
        number only words the 429); ``cards`` are kept in step with avatar changes."""
        self._repo = repo
        self._storage = storage
        self._limiter = limiter
        self._uploads_per_hour = uploads_per_hour
        self._cards = cards

    # -- uploads ----------------------------------------------------------------------------

    def create_upload(
        self, owner_id: str, new: domain.NewMedia, origin: str | None
    ) -> dict[str, Any]:
        """A pending media item and the session URL its bytes go to; RateLimited over budget."""
        wait = self._limiter.take(owner_id)
        if wait is not None:
            raise errors.RateLimited(
                f"at most {self._uploads_per_hour} uploads per hour", retry_after_s=wait
            )
        media_id = secrets.token_hex(16)  # unguessable: it ends up in public URLs
        # The record first: a notification can then never arrive for a media id we do not know.
        rec = self._repo.create_pending(media_id, owner_id, new)
        url = self._storage.create_upload_session(
            domain.upload_object_name(media_id),
            new.content_type,
            new.byte_size,
            {"media_id": media_id, "owner_id": owner_id, "purpose": new.purpose},
            origin,
        )
        expires = dt.datetime.fromtimestamp(rec.created_ms / 1000, dt.UTC) + SESSION_LIFETIME
        return {
            "media_id": media_id,
            "upload_url": url,
            "upload_method": "PUT",
            "upload_headers": {"Content-Type": new.content_type},
            "expires_at": expires.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "status": "pending",
        }

    def get(self, caller_id: str, media_id: str) -> MediaRecord:
        rec = self._repo.get(media_id) if domain.is_media_id(media_id) else None
        return domain.visible_to(rec, caller_id, media_id)

    # -- avatars ----------------------------------------------------------------------------

    def set_avatar(self, owner_id: str, media_id: str | None) -> dict[str, Any]:
        """Set (or clear, with None) the caller's avatar; the replaced one's files are deleted.

        The avatar rule is checked in the repository's transaction (domain.check_usable). The
        profile card is updated last: if that fails the request fails and a retry, which finds
        the avatar already set, only updates the card.
        """
        ref, previous = self._repo.set_avatar(owner_id, media_id)
        if previous:
            self.delete_media(owner_id, [previous])
        avatar = domain.media_json(ref) if ref else None
        if self._cards is not None:
            self._cards.set_avatar(owner_id, avatar)
        return {"avatar": avatar}

    # -- use by posts -----------------------------------------------------------------------

    def claim_for_post(
        self, owner_id: str, media_ids: Sequence[str], alts: dict[str, str] | None = None
    ) -> list[MediaRef]:
        """The refs to embed in a new post, in the given order; a DomainError otherwise.

        Each must be the caller's, ready, and uploaded for a post (domain.check_usable); 0-4
        distinct ids. ``alts`` optionally overrides the alt text per media id. Claiming
        validates, it does not lock: one media item may be shown by several posts.
        """
        ids = domain.parse_media_ids(list(media_ids))
        found = self._repo.get_many(ids)
        refs = []
        for media_id in ids:
            rec = domain.check_usable(found.get(media_id), owner_id, media_id, "post")
            alt = (alts or {}).get(media_id)
            refs.append(self._repo.ref_of(rec, None if alt is None else domain.parse_alt(alt)))
        return refs

    def attach_to_post(self, media_ids: Sequence[str], post_id: int) -> None:
        """Record that ``post_id`` shows these media (after the post is created; idempotent)."""
        self._repo.attach_to_post(media_ids, post_id)

    def delete_for_post(self, owner_id: str, media_ids: list[str], post_id: int) -> None:
        """A post was deleted: delete its media unless another post still shows them."""
        self._delete_files(self._repo.release_from_post(owner_id, media_ids, post_id))

    def delete_media(self, owner_id: str, media_ids: list[str]) -> None:
        """Delete the owner's media (a replaced avatar). Idempotent."""
        self._delete_files(self._repo.mark_deleted(owner_id, media_ids))

    def _delete_files(self, media_ids: list[str]) -> None:
        for media_id in media_ids:
            try:
                self._storage.delete_variants(media_id)
            except Exception:
                # Marked deleted already, so it is never served through the API again.
                log.warning("variants of %s not deleted", media_id, exc_info=True)


@dataclass(frozen=True)
class Notification:
    """An object event of a bucket, as Cloud Storage notifies it (already parsed)."""

    event_type: str
    bucket: str
    object_name: str
    generation: int
    size: int


class MediaProcessor:
    def __init__(self, repo: MediaRecords, storage: Storage) -> None:
        self._repo = repo
        self._storage = storage

    def process(self, n: Notification) -> str:
        """Decide one upload; returns what happened (for logs and tests).

        Raising means "retry" (the push is answered 500); everything that retrying cannot fix
        is decided here and acked.
        """
        if n.event_type != "OBJECT_FINALIZE" or n.bucket != self._storage.uploads_bucket:
            return "ignored"
        media_id = domain.media_id_of_upload(n.object_name)
        rec = self._repo.get(media_id) if media_id else None
        if rec is None:
            # Only our sessions write there, so this is litter (or a record lost): never serve it.
            log.warning("upload %s#%d has no media doc; deleted", n.object_name, n.generation)
            self._storage.delete_upload(n.object_name, n.generation)
            return "unknown"
        if rec.status != "pending":
            # A redelivery: the decision stands. The original may have survived a crash
            # between the decision and its deletion, so deleting again is the only work left.
            self._storage.delete_upload(n.object_name, n.generation)
            return "duplicate"
        return self._decide(rec, n)

    def _decide(self, rec: MediaRecord, n: Notification) -> str:
        # Pillow is imported by the processor only: the media HTTP function never needs it.
        from shared.media import imaging

        if n.size > domain.MAX_BYTES:
            return self._reject(rec, n, "too_large", f"{n.size} bytes is over {domain.MAX_BYTES}")
        data = self._storage.read_upload(n.object_name, n.generation, domain.MAX_BYTES)
        if data is None:
            return self._reject(rec, n, "upload_missing", "the uploaded object is gone")
        try:
            image = imaging.process(data, rec.purpose)
        except imaging.ImageRejected as exc:
            return self._reject(rec, n, exc.reason, exc.message)
        stored = []
        for v in image.variants:
            name = domain.variant_object_name(rec.media_id, v.label)
            self._storage.write_variant(name, v.data, domain.VARIANT_CONTENT_TYPE)
            stored.append(StoredVariant(v.label, v.width, v.height, name, len(v.data)))
        decided = self._repo.finish_ready(
            rec.media_id, n.generation, image.source_type, image.width, image.height, stored
        )
        self._storage.delete_upload(n.object_name, n.generation)
        log.info("media %s ready: %s %dx%d, %d variants", rec.media_id, image.source_type,
                 image.width, image.height, len(stored))  # fmt: skip
        return "ready" if decided else "duplicate"

    def _reject(self, rec: MediaRecord, n: Notification, reason: str, message: str) -> str:
        decided = self._repo.finish_rejected(rec.media_id, n.generation, reason, message)
        self._storage.delete_upload(n.object_name, n.generation)
        log.warning("media %s rejected (%s): %s", rec.media_id, reason, message)
        return "rejected" if decided else "duplicate"
