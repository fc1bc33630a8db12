"""Home timeline reads: a bounded merge of a few newest-first sources.

A home page is the newest ``limit`` posts among: the reader's materialised home timeline (posts
pushed to them), their own posts, and the own timelines of the pull-mode authors they follow.
Every source gives at most ``limit`` ids older than the cursor, so a read touches at most
``limit * sources`` entries whatever the authors' follower counts. (The Redis adapter runs this
merge server-side; ``merge_newest`` is its specification and merges store results.)

A source held in Redis may be *truncated* (it was trimmed at the cap): when it runs dry its
older entries live only in the post store. ``fallback_for`` says below which id the merged page
is no longer known complete, and for whose posts the reader must ask the store.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.domain.fanout import Mode
from shared.domain.model import Engagement, Mention, Post, User


@dataclass(frozen=True)
class TimelinePost:
    """A new post as the timeline engine records it (from a PostCreated event)."""

    post_id: int
    author_id: str
    text: str
    created_ms: int
    media: tuple[dict[str, Any], ...] = ()
    reply_to: int | None = None
    root_id: int | None = None
    reply_to_author_id: str | None = None
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True)
class Source:
    """A newest-first source of a page: a user's home timeline, or a user's own posts."""

    owner: str
    home: bool = False

    @classmethod
    def home_of(cls, uid: str) -> Source:
        return cls(uid, home=True)

    @classmethod
    def own(cls, uid: str) -> Source:
        return cls(uid)

    @property
    def authors(self) -> frozenset[str] | None:
        """Whose posts it holds; None for a home timeline: it stands for every followee."""
        return None if self.home else frozenset({self.owner})


@dataclass(frozen=True)
class SourceRun:
    """What one source gave for one page request."""

    got: int  # how many ids it gave (all below the cursor)
    last: int | None  # the oldest id it gave
    asked: int
    truncated: bool  # older entries may exist outside Redis
    authors: frozenset[str] | None = None  # whose posts it holds; None = all the followees

    @property
    def dry(self) -> bool:
        return self.got < self.asked


@dataclass(frozen=True)
class Fallback:
    floor: int  # merged ids above this are complete; 0 = nothing is known below the cursor
    authors: frozenset[str]
    all_followees: bool

    def needed(self, merged: Sequence[int], limit: int) -> bool:
        return sum(1 for i in merged if i > self.floor) < limit


def merge_newest(sources: Iterable[Sequence[int]], limit: int) -> list[int]:
    """The newest ``limit`` distinct ids of newest-first sources."""
    out: list[int] = []
    last: int | None = None
    for pid in heapq.merge(*sources, key=lambda x: -x):
        if pid == last:
            continue
        last = pid
        out.append(pid)
        if len(out) >= limit:
            break
    return out


def fallback_for(sources: Sequence[SourceRun]) -> Fallback | None:
    """None when the merge is complete; else where, and for whom, the post store takes over.

    A truncated source that ran dry is complete only down to the last id it gave: below it the
    merge may be missing posts of its authors.
    """
    floor: int | None = None
    authors: set[str] = set()
    every = False
    for s in sources:
        if s.truncated and s.dry:
            point = s.last or 0
            floor = point if floor is None else max(floor, point)
            if s.authors is None:
                every = True
            else:
                authors |= s.authors
    if floor is None:
        return None
    return Fallback(floor=floor, authors=frozenset(authors), all_followees=every)


def next_cursor(
    page: Sequence[int], limit: int, exhausted: bool, scanned: int | None = None
) -> str | None:
    """The cursor of the next page: the last id, or None when there is nothing older.

    ``scanned``: the oldest id the read looked at. When everything scanned was filtered out
    (deleted, unfollowed) and the sources are not exhausted, scrolling goes on from there.
    """
    if page and not (exhausted and len(page) < limit):
        return str(page[-1])
    if not exhausted and scanned is not None:
        return str(scanned)
    return None


# ---- what the timeline store reports (ports.TimelineStore) ----------------------------------


@dataclass(frozen=True)
class Recorded:
    """What recording a post saw: a mode already decided (or None), or that it is deleted."""

    gone: bool
    mode: Mode | None
    posts_in_window: int
    window_span_ms: int


@dataclass(frozen=True)
class ReaderState:
    pull_authors: list[str]
    active: bool
    followees_cached: bool


@dataclass(frozen=True)
class Round:
    """One page round (``TimelineStore.round``)."""

    merged: list[int]
    runs: list[SourceRun]
    live: dict[int, Post] = field(default_factory=dict)  # cached bodies of merged ids
    dead: set[int] = field(default_factory=set)  # merged ids with a tombstone
    missing: list[int] = field(default_factory=list)  # merged ids to fetch from the store
    follows: set[str] = field(default_factory=set)  # authors the reader follows (home reads)
    cards: dict[str, User] = field(default_factory=dict)  # profile cards found (owner too)
    seen: frozenset[str] = frozenset()  # the authors looked up (owner included)
    # engagement of the merged ids, read in the same pipeline as the bodies; None = incomplete
    engagement: dict[int, Engagement | None] = field(default_factory=dict)
    # merged repost entries (shared.domain.reposts) -> (original post id, reposter)
    reposts: dict[int, tuple[int, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class RepostRound:
    """The originals of a page's repost entries (``TimelineStore.repost_round``)."""

    live: dict[int, Post] = field(default_factory=dict)  # cached bodies of the originals
    dead: set[int] = field(default_factory=set)  # originals with a tombstone
    missing: list[int] = field(default_factory=list)  # originals to fetch from the store
    reposters: dict[int, list[str]] = field(default_factory=dict)  # newest first, per original
    followed: frozenset[str] = frozenset()  # the reposters the reader follows
    cards: dict[str, User] = field(default_factory=dict)  # profile cards read with them
    # the originals' engagement for the reader, same pipeline; None = incomplete
    engagement: dict[int, Engagement | None] = field(default_factory=dict)


# ---- polling an open timeline ----------------------------------------------------------------

HEAD_SIZE = 20  # the head an open timeline shows first and polls: GET /v1/timeline/newer


def head_tag(post_ids: Sequence[int]) -> str:
    """A short tag of the newest ``HEAD_SIZE`` ids: equal tags mean the same head, so a poller
    learns of new and of deleted posts from 16 characters instead of a page of bodies."""
    head = ",".join(str(i) for i in list(post_ids)[:HEAD_SIZE])
    return hashlib.sha256(head.encode()).hexdigest()[:16]


def count_newer(post_ids: Sequence[int], after: int) -> int:
    return sum(1 for i in post_ids if i > after)
