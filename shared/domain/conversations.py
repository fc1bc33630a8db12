"""The rules of conversations: replies and their threads, likes and reposts. Pure: no I/O.

- A reply stores its parent and its thread's root (Bluesky's refs): the root of a reply to a
  reply is the parent's root, so a thread is found from any of its posts in one hop.
- Home timelines (Mastodon's ``filter_from_home?``): a reply reaches a reader's home only when
  the reader wrote it, it answers its own author (a self-thread) or the reader, or the reader
  follows the person it answers. Applied at fan-out (push recipients) and at the merge (pulled
  posts), by this one function.
- Likes and reposts are records, one per (user, post), switched on and off; each switch bumps
  the record's version. A counter applies a record's state only when its version is newer than
  what it holds, so redelivered or reordered events cannot count twice (docs/conversations.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Container
from dataclasses import dataclass
from enum import StrEnum

from shared import ids
from shared.domain import errors
from shared.domain.model import Post

MAX_ANCESTORS = 50
THREAD_PAGE_DEFAULT = 20


class Kind(StrEnum):
    """What a counter counts; the value is the field prefix in the counter store."""

    LIKE = "l"
    REPLY = "r"
    REPOST = "p"


@dataclass(frozen=True)
class Switch:
    """One (member, post) record's state: ``active`` at ``version`` (1, 2, ... per switch)."""

    kind: Kind
    post_id: int
    member: str  # the liker or reposter; the reply's id for replies
    version: int
    active: bool


def parse_reply_to(raw: object) -> int | None:
    """The ``reply_to`` of a POST /v1/posts body: absent/null, or a post id string."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise errors.InvalidInput(
            "reply_to must be a post id (a string of digits)", details={"field": "reply_to"}
        )
    try:
        return ids.parse_id(raw)
    except ValueError as exc:
        raise errors.InvalidInput(
            "reply_to must be a post id (a string of digits)", details={"field": "reply_to"}
        ) from exc


def check_engageable(post_id: int, post: Post | None) -> Post:
    """A post one may reply to, like or repost: it exists and is not deleted."""
    if post is None:
        raise errors.PostNotFound(f"no post {post_id}")
    if post.deleted:
        raise errors.PostGone(f"post {post_id} has been deleted")
    return post


def reply_refs(parent: Post) -> tuple[int, int, str]:
    """(reply_to, root_id, reply_to_author_id) of a reply to ``parent``."""
    return parent.id, parent.root_id or parent.id, parent.author_id


def reaches_home(
    reader: str, author_id: str, reply_to_author_id: str | None, follows: Container[str]
) -> bool:
    """Whether a post by ``author_id`` (a reply to ``reply_to_author_id``, or not a reply) may
    be in ``reader``'s home timeline, given who the reader follows (the author's following is
    the home timeline's own rule)."""
    if reply_to_author_id is None or author_id == reader:
        return True
    if reply_to_author_id in (author_id, reader):
        return True
    return reply_to_author_id in follows


def home_audience(author_id: str, reply_to_author_id: str | None) -> str | None:
    """Whose followers (besides the author's) a post's push is limited to: the replied-to
    person for a reply to someone else, None for everything else (no extra condition)."""
    if reply_to_author_id is None or reply_to_author_id == author_id:
        return None
    return reply_to_author_id


def record_event_id(kind: str, post_id: int, member: str, version: int) -> str:
    """Deterministic event id of one switch: a republished outbox event keeps its id. User ids
    may be 128 characters, event ids 64: the pair is hashed."""
    digest = hashlib.sha256(f"{post_id}\x00{member}".encode()).hexdigest()[:32]
    return f"{kind}-{digest}-{version}"
