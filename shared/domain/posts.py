"""The rules of posts: what a post's text may be, what a create request may carry, who may
delete a post, and what an Idempotency-Key binds. Pure: no I/O.

Length is counted in Unicode code points after NFC normalisation and trimming, so "é" typed as
e + combining acute counts as one, exactly like its precomposed form. An emoji built from several
code points (a ZWJ family, a flag) counts as several: that is what the 280 limit means here, and
it is documented in docs/posts.md.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from shared import events
from shared.domain import errors
from shared.domain.conversations import parse_reply_to
from shared.domain.media import parse_alt, parse_media_ids
from shared.domain.model import Post

# What the post event log holds and what post-events carries.
PostEvent = events.PostCreated | events.PostDeleted

MAX_CHARS = 280
MAX_IDEMPOTENCY_KEY = 128
# Invisible characters that would otherwise let a post look empty; trimmed at both ends only,
# because a zero-width joiner inside the text is part of an emoji sequence.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_ALLOWED_CONTROLS = {"\n", "\t"}
_BODY_FIELDS = {"text", "media_ids", "media_alts", "reply_to"}


def normalize_text(raw: object) -> str:
    """The text as stored: NFC, newlines as LF, trimmed; BadRequest/Unprocessable otherwise."""
    if raw is None:
        raise errors.InvalidInput("text is required", details={"field": "text"})
    if not isinstance(raw, str):
        raise errors.InvalidInput("text must be a string", details={"field": "text"})
    # Browsers submit textarea newlines as CRLF; they are still newlines, not control characters.
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.strip().strip(_INVISIBLE).strip()
    if not text:
        raise errors.ValidationFailed(
            "text is empty after trimming whitespace", details={"field": "text", "length": 0}
        )
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if category == "Cc" and ch not in _ALLOWED_CONTROLS:
            raise errors.ValidationFailed(
                f"text contains control character U+{ord(ch):04X}",
                details={"field": "text", "index": index},
            )
        if category == "Cs":  # a lone surrogate from a JSON "\ud83d" escape: not storable text
            raise errors.ValidationFailed(
                "text contains an unpaired surrogate", details={"field": "text", "index": index}
            )
    if len(text) > MAX_CHARS:
        raise errors.ValidationFailed(
            f"text is {len(text)} characters; the limit is {MAX_CHARS}",
            details={"field": "text", "length": len(text), "max": MAX_CHARS},
        )
    return text


@dataclass(frozen=True)
class PostDraft:
    """A validated create request: what the author asked to post (not yet a Post)."""

    text: str
    media_ids: list[str] = field(default_factory=list)
    # alt text per media id, overriding the one given at upload (the composer may edit it)
    alts: dict[str, str] = field(default_factory=dict)
    reply_to: int | None = None  # the parent's id, for a reply


def parse_post_draft(body: dict[str, Any]) -> PostDraft:
    """A POST /v1/posts body: {"text", "media_ids"?, "media_alts"?, "reply_to"?}, nothing else.

    ``media_alts`` (optional) lists one alt text per media id, in the same order; null keeps
    the alt text given at upload.
    """
    unknown = sorted(set(body) - _BODY_FIELDS)
    if unknown:
        raise errors.InvalidInput(
            f"unknown field(s): {', '.join(unknown)}", details={"unknown_fields": unknown}
        )
    text = normalize_text(body.get("text"))
    media_ids = parse_media_ids(body.get("media_ids"))
    reply_to = parse_reply_to(body.get("reply_to"))
    raw_alts = body.get("media_alts")
    if raw_alts is None:
        return PostDraft(text, media_ids, reply_to=reply_to)
    if not isinstance(raw_alts, list) or len(raw_alts) != len(media_ids):
        raise errors.InvalidInput(
            "media_alts must be a list with one alt text (or null) per media id",
            details={"field": "media_alts"},
        )
    alts = {m: parse_alt(a) for m, a in zip(media_ids, raw_alts, strict=True) if a is not None}
    return PostDraft(text, media_ids, alts, reply_to)


def parse_idempotency_key(raw: str | None) -> str | None:
    """The Idempotency-Key header: absent, or 1-128 printable ASCII characters."""
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise errors.InvalidInput(
            f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} printable ASCII characters"
        )
    return key


def check_replay(
    earlier: events.PostCreated,
    post: Post,
    text: str,
    media_ids: list[str],
    reply_to: int | None = None,
) -> None:
    """An Idempotency-Key replays its first create only: the same text and the same media.

    ``earlier`` is the first request's PostCreated (the event log keeps its text even after a
    delete), ``post`` its read model. ValidationFailed when this request differs; Conflict when
    the post has since been deleted (replaying it would bring back a post its author removed).
    """
    same_reply = earlier.reply_to == (None if reply_to is None else str(reply_to))
    if earlier.text != text or [str(m["id"]) for m in earlier.media] != media_ids or not same_reply:
        raise errors.ValidationFailed(
            "this Idempotency-Key was already used for a post with different text, media or"
            " reply_to"
        )
    if post.deleted:
        raise errors.Conflict("the post created with this Idempotency-Key has been deleted")


def check_can_delete(caller_id: str, post_id: int, post: Post | None) -> None:
    """Only the author may delete a post. NotFound for unknown posts, PermissionDenied for
    anyone else; a post already deleted is simply gone (NotFound) for anyone but its author,
    for whom deleting again is allowed (idempotent)."""
    if post is None or (post.deleted and post.author_id != caller_id):
        raise errors.NotFound(f"no post {post_id}")
    if post.author_id != caller_id:
        raise errors.PermissionDenied("only the author may delete a post")
