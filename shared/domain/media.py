"""What an upload may be, what comes out of processing, who may use it, and how media look in
the API. Pure.

The limits are checked twice: here on what the client declares (so a bad request gets a 4xx
before any upload URL exists) and by the media processor on the bytes that actually arrived
(the declaration is only a claim: the real type and size come from the object).

Who may see or use a media item is decided here once (``visible_to``, ``check_usable``,
``deletable_by``), over a ``MediaRecord``: the use cases apply these rules, and the Firestore
adapter calls them inside its transactions where the check and the write must be atomic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, cast

from shared.domain import errors

ALLOWED_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
MAX_BYTES = 5 * 1024 * 1024
# 25 MP covers every phone photo as shipped (12-24 MP) and keeps one decoded RGBA frame <100 MB.
MAX_PIXELS = 25_000_000
# Pillow decodes a WebP whole and holds it three times over (libwebp's canvas, a bytes copy,
# the image: 12 bytes a pixel) and cannot decode it at reduced scale as libjpeg can: 8.4 MP
# (a 4K UHD screenshot, 3840x2160, fits; cameras do not ship WebP) keeps it under 150 MB.
MAX_WEBP_PIXELS = 8_400_000
MAX_FRAMES = 50
# An animation is bounded by its total decoded pixels too: 50 frames of 25 MP would be 5 GB.
# Every frame is re-encoded, so this bounds the encoding time: 24 M (50 frames of 690x690,
# 10 of 1550x1550) keeps an ordinary animation near 1 s of CPU and a fully changing one near
# 2 s (8 s at 60 M; docs/media.md), and the largest frame of a two-frame animation at 12 MP.
MAX_ANIMATION_PIXELS = 24_000_000
MAX_ALT_CHARS = 1000
MAX_MEDIA_PER_POST = 4

Purpose = Literal["post", "avatar"]
PURPOSES: tuple[Purpose, ...] = ("post", "avatar")
# Posts keep their aspect ratio (width-bounded); avatars are centre-cropped squares.
POST_WIDTHS = (400, 1200)
AVATAR_SIZES = (96, 400)
VARIANT_CONTENT_TYPE = "image/webp"

Status = Literal["pending", "ready", "rejected", "deleted"]

_MEDIA_ID = re.compile(r"^[0-9a-f]{32}$")
_BODY_FIELDS = {"content_type", "byte_size", "purpose", "alt"}


@dataclass(frozen=True)
class NewMedia:
    content_type: str
    byte_size: int
    purpose: Purpose
    alt: str


def parse_new_media(body: dict[str, Any]) -> NewMedia:
    """A POST /v1/media body: {content_type, byte_size, purpose, alt?}, nothing else."""
    unknown = sorted(set(body) - _BODY_FIELDS)
    if unknown:
        raise errors.InvalidInput(
            f"unknown field(s): {', '.join(unknown)}", details={"unknown_fields": unknown}
        )
    ctype = body.get("content_type")
    if not isinstance(ctype, str) or not ctype:
        raise errors.InvalidInput("content_type is required", details={"field": "content_type"})
    ctype = ctype.split(";", 1)[0].strip().lower()
    if ctype not in ALLOWED_TYPES:
        raise errors.UnsupportedType(
            f"{ctype} is not accepted; send one of {', '.join(sorted(ALLOWED_TYPES))}",
            details={"field": "content_type", "allowed": sorted(ALLOWED_TYPES)},
        )
    size = body.get("byte_size")
    # bool is an int in Python; JSON true is not a size.
    if not isinstance(size, int) or isinstance(size, bool):
        raise errors.InvalidInput("byte_size must be an integer", details={"field": "byte_size"})
    if size <= 0:
        raise errors.ValidationFailed("byte_size must be positive", details={"field": "byte_size"})
    if size > MAX_BYTES:
        raise errors.TooLarge(
            f"{size} bytes is over the {MAX_BYTES} byte limit",
            details={"field": "byte_size", "max": MAX_BYTES},
        )
    purpose = body.get("purpose")
    if purpose not in PURPOSES:
        raise errors.InvalidInput(
            "purpose must be 'post' or 'avatar'", details={"field": "purpose"}
        )
    return NewMedia(ctype, size, purpose, parse_alt(body.get("alt")))


def parse_alt(raw: object) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise errors.InvalidInput("alt must be a string", details={"field": "alt"})
    alt = " ".join(raw.split())  # alt text is one line for screen readers
    if len(alt) > MAX_ALT_CHARS:
        raise errors.ValidationFailed(
            f"alt is {len(alt)} characters; the limit is {MAX_ALT_CHARS}",
            details={"field": "alt", "max": MAX_ALT_CHARS},
        )
    return alt


def parse_avatar_choice(body: dict[str, Any]) -> str | None:
    """A PUT /v1/me/avatar body: {"media_id": <id>} sets it, {"media_id": null} clears it."""
    unknown = sorted(set(body) - {"media_id"})
    if unknown or "media_id" not in body:
        raise errors.InvalidInput('send {"media_id": <id or null>}')
    media_id = body["media_id"]
    if media_id is not None and not is_media_id(media_id):
        raise errors.InvalidInput("media_id is not a media id", details={"field": "media_id"})
    return cast(str | None, media_id)


def is_media_id(raw: object) -> bool:
    return isinstance(raw, str) and bool(_MEDIA_ID.match(raw))


def parse_media_ids(raw: object) -> list[str]:
    """The ``media_ids`` of a post: 0-4 distinct media ids, in the author's order."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(is_media_id(m) for m in raw):
        raise errors.InvalidInput(
            "media_ids must be a list of media ids", details={"field": "media_ids"}
        )
    if len(raw) > MAX_MEDIA_PER_POST:
        raise errors.ValidationFailed(
            f"at most {MAX_MEDIA_PER_POST} media per post",
            details={"field": "media_ids", "max": MAX_MEDIA_PER_POST},
        )
    if len(set(raw)) != len(raw):
        raise errors.InvalidInput("media_ids repeats a media id", details={"field": "media_ids"})
    return list(raw)


def upload_object_name(media_id: str) -> str:
    return f"uploads/{media_id}"


def media_id_of_upload(object_name: str) -> str | None:
    prefix, _, media_id = object_name.partition("/")
    return media_id if prefix == "uploads" and is_media_id(media_id) else None


def variant_object_name(media_id: str, label: str) -> str:
    return f"m/{media_id}/{label}.webp"


def variant_sizes(purpose: Purpose) -> tuple[int, ...]:
    return POST_WIDTHS if purpose == "post" else AVATAR_SIZES


@dataclass(frozen=True)
class Variant:
    label: str  # "400", "1200", "96"...: the bounding width
    width: int
    height: int
    url: str  # public (CDN) URL


@dataclass(frozen=True)
class MediaRef:
    """A ready media item as posts and profiles embed it."""

    media_id: str
    purpose: Purpose
    width: int
    height: int
    alt: str
    variants: tuple[Variant, ...]


def public_url(public_base_url: str, object_name: str) -> str:
    return f"{public_base_url.rstrip('/')}/{object_name}"


def media_json(ref: MediaRef) -> dict[str, Any]:
    """How a media item appears in API responses and in the post read model.

    ``url`` is the largest variant; ``variants`` (smallest first) feed ``srcset``; width and
    height let the browser reserve the box before the image loads (no layout shift).
    """
    variants = sorted(ref.variants, key=lambda v: v.width)
    largest = variants[-1]
    return {
        "id": ref.media_id,
        "type": VARIANT_CONTENT_TYPE,
        "url": largest.url,
        "width": largest.width,
        "height": largest.height,
        "alt": ref.alt,
        "variants": [{"url": v.url, "width": v.width, "height": v.height} for v in variants],
    }


@dataclass(frozen=True)
class StoredVariant:
    """A variant as the media record stores it: the object name, never a URL (see public_url)."""

    label: str
    width: int
    height: int
    object_name: str
    bytes: int


@dataclass(frozen=True)
class MediaRecord:
    """One media item as recorded (Firestore ``media/{media_id}``)."""

    media_id: str
    owner_id: str
    purpose: Purpose
    status: Status
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


def media_ref(rec: MediaRecord, public_base_url: str, alt: str | None = None) -> MediaRef:
    """The embeddable ref of a ready record; ``alt`` overrides the upload's alt text."""
    return MediaRef(
        media_id=rec.media_id,
        purpose=rec.purpose,
        width=rec.width,
        height=rec.height,
        alt=rec.alt if alt is None else alt,
        variants=tuple(
            Variant(v.label, v.width, v.height, public_url(public_base_url, v.object_name))
            for v in rec.variants
        ),
    )


# -- who may see and use a media item -------------------------------------------------------


def visible_to(rec: MediaRecord | None, caller_id: str, media_id: str) -> MediaRecord:
    """The record when the caller may see it (GET /v1/media/{id}); NotFound otherwise.

    Someone else's media is "not found", not "forbidden": its existence is not the caller's
    business (and media ids appear in public URLs).
    """
    if rec is None or rec.owner_id != caller_id or rec.status == "deleted":
        raise errors.NotFound(f"no media {media_id}")
    return rec


def check_usable(
    rec: MediaRecord | None, owner_id: str, media_id: str, purpose: Purpose
) -> MediaRecord:
    """The record when ``owner_id`` may attach it to a post / set it as avatar (``purpose``).

    It must exist (NotFound), be the caller's (PermissionDenied), be ready (Conflict: pending
    or rejected) and have been uploaded for that purpose (ValidationFailed): the variants of
    a post image and of an avatar differ, so one cannot stand in for the other.
    """
    detail = {"media_id": media_id}
    if rec is None or rec.status == "deleted":
        raise errors.NotFound(f"no media {media_id}", details=detail)
    if rec.owner_id != owner_id:
        raise errors.PermissionDenied(f"media {media_id} belongs to someone else", details=detail)
    if rec.status != "ready":
        raise errors.Conflict(
            f"media {media_id} is {rec.status}, not ready",
            details={**detail, "status": rec.status, "reason": rec.reason},
        )
    if rec.purpose != purpose:
        wrong = (
            "was uploaded as an avatar" if purpose == "post" else "was not uploaded as an avatar"
        )
        raise errors.ValidationFailed(f"media {media_id} {wrong}", details=detail)
    return rec


def deletable_by(rec: MediaRecord | None, owner_id: str) -> bool:
    """Only the owner's live media can be deleted; anything else is silently left alone (a
    delete is idempotent, and a post's delete must not touch media someone else owns)."""
    return rec is not None and rec.owner_id == owner_id and rec.status != "deleted"
