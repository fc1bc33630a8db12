"""Notifications: who is told what, and how rows group (pure; docs/notifications.md).

One notification row is a *group*: a kind and what it is about, within a window.

| kind    | from                | about                 | group id                       |
|---------|---------------------|-----------------------|--------------------------------|
| like    | PostLiked           | your post             | ``like:<post>:<day>``          |
| repost  | PostReposted        | your post             | ``repost:<post>:<day>``        |
| follow  | UserFollowed        | you                   | ``follow:<day>``               |
| mention | PostCreated         | the post mentioning you | ``mention:<post>``           |
| reply   | PostCreated (reply) | the reply to your post | ``reply:<post>``              |

Likes, reposts and follows group: one row per post (per you, for follows) per UTC day of the
activity, with the newest ``MAX_ACTORS`` actors and the number of distinct actors ("A, B and 12
others liked your post"). The day is the activity's own time (the event's), not the time the
notifier saw it, so a redelivered event lands in the group it first went to. Mentions and
replies are one row each: each is a post you may answer.

Who is never told: yourself (you liking your own post), and not by someone you block or mute or
who blocks you (``silenced``, answered by the block/mute store).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.domain import errors

Kind = Literal["like", "repost", "follow", "mention", "reply"]
KINDS: tuple[Kind, ...] = ("like", "repost", "follow", "mention", "reply")
GROUPED: frozenset[str] = frozenset({"like", "repost", "follow"})

DAY_MS = 86_400_000
MAX_ACTORS = 3  # shown per row, newest first
CAP = 200  # rows kept per user in Redis (and read back from the durable copy)
KEEP_DAYS = 30  # the durable copy answers for this long; older rows may go
PAGE_DEFAULT = 20
PAGE_MAX = 50
UNREAD_SHOWN_MAX = 99  # the badge says 99+ past it
MAX_CURSOR_DIGITS = 19


@dataclass(frozen=True)
class Activity:
    """One thing that happened, addressed to one recipient."""

    recipient: str
    actor: str
    kind: Kind
    at_ms: int
    post_id: str | None = None  # the post liked, reposted, mentioning, or the reply itself
    subject_post_id: str | None = None  # reply: the recipient's post that was answered

    @property
    def group_id(self) -> str:
        return group_id(self.kind, self.post_id, self.at_ms)

    @property
    def grouped(self) -> bool:
        return self.kind in GROUPED


def group_id(kind: Kind, post_id: str | None, at_ms: int) -> str:
    if kind == "follow":
        return f"follow:{at_ms // DAY_MS}"
    if kind in GROUPED:
        return f"{kind}:{post_id}:{at_ms // DAY_MS}"
    return f"{kind}:{post_id}"


def worth_telling(a: Activity) -> bool:
    """Never to yourself; never about nothing."""
    if a.recipient == a.actor or not a.recipient or not a.actor:
        return False
    return a.kind == "follow" or a.post_id is not None


def keep_unsilenced(activities: Iterable[Activity], silenced: set[str]) -> list[Activity]:
    """``silenced``: the actors among them the recipient blocks or mutes, or is blocked by."""
    return [a for a in activities if worth_telling(a) and a.actor not in silenced]


@dataclass(frozen=True)
class Group:
    """A row as stored (compact JSON in Redis and the durable copy) and shown."""

    id: str
    kind: Kind
    seq: int  # position: the per-recipient sequence number of its latest activity
    at_ms: int  # the latest activity's time
    actors: tuple[str, ...]  # newest first, at most MAX_ACTORS
    count: int  # distinct actors
    post_id: str | None = None
    subject_post_id: str | None = None

    def to_json(self, read_mark: int, cards: dict[str, Any]) -> dict[str, Any]:
        """``cards``: user id -> (handle, display_name, avatar) of the actors that still exist."""
        return {
            "id": self.id,
            "cursor": str(self.seq),
            "kind": self.kind,
            "post_id": self.post_id,
            "subject_post_id": self.subject_post_id,
            "actors": [_actor(uid, cards.get(uid)) for uid in self.actors],
            "actor_count": max(self.count, len(self.actors), 1),
            "created_ms": self.at_ms,
            "read": self.seq <= read_mark,
        }


def _actor(uid: str, card: Any) -> dict[str, Any]:
    if card is None:
        return {"id": uid, "handle": None, "display_name": None, "avatar": None}
    return {
        "id": uid,
        "handle": card.handle,
        "display_name": card.display_name,
        "avatar": card.avatar,
    }


def encode_group(g: Group, extra: dict[str, Any] | None = None) -> str:
    body: dict[str, Any] = {
        "k": g.kind,
        "q": g.seq,
        "t": g.at_ms,
        "a": list(g.actors),
        "n": g.count,
    }
    if g.post_id is not None:
        body["p"] = g.post_id
    if g.subject_post_id is not None:
        body["s"] = g.subject_post_id
    if extra:
        body.update(extra)
    return json.dumps(body, separators=(",", ":"))


def decode_group(gid: str, raw: str | bytes) -> Group:
    d = json.loads(raw)
    return Group(
        id=gid,
        kind=d["k"],
        seq=int(d["q"]),
        at_ms=int(d["t"]),
        actors=tuple(d.get("a") or ()),
        count=int(d.get("n") or 1),
        post_id=d.get("p"),
        subject_post_id=d.get("s"),
    )


@dataclass
class Page:
    groups: list[Group]
    read_mark: int
    unread: int
    next_cursor: str | None = None
    cards: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [g.to_json(self.read_mark, self.cards) for g in self.groups],
            "next_cursor": self.next_cursor,
            "unread": self.unread,
        }


@dataclass(frozen=True)
class StoredGroup:
    """A row as the stores hold it: id, position, compact JSON, and its actors' HyperLogLog
    (grouped rows only: the durable copy keeps it so a restored row still de-duplicates)."""

    id: str
    seq: int
    row: str
    hll: bytes | None = None


@dataclass(frozen=True)
class Added:
    """What one activity did: ``written`` False for an actor the row already counts."""

    written: bool
    group: StoredGroup | None = None
    flush: bool = False  # the durable copy of the row is due


def parse_cursor(raw: object, field_name: str = "cursor") -> int:
    """A row's ``cursor`` (its sequence number) as a client sends it back."""
    if (
        not isinstance(raw, str)
        or not raw.isascii()
        or not raw.isdigit()
        or len(raw) > MAX_CURSOR_DIGITS
    ):
        raise errors.InvalidInput(
            f"{field_name} must be a notification's cursor (digits)", details={"field": field_name}
        )
    return int(raw)


def parse_mark_read(body: dict[str, Any]) -> int:
    unknown = sorted(set(body) - {"cursor"})
    if unknown:
        raise errors.InvalidInput(f"unknown field {unknown[0]}", details={"field": unknown[0]})
    if "cursor" not in body:
        raise errors.InvalidInput("cursor is required", details={"field": "cursor"})
    return parse_cursor(body["cursor"])


def shown_unread(n: int) -> int:
    return max(0, min(n, UNREAD_SHOWN_MAX))
