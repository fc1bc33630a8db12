"""Home timeline reads: a bounded merge of a few newest-first sources.

A home page is the newest ``limit`` posts among: the reader's materialised home timeline (posts
pushed to them), their own posts, and the own timelines of the pull-mode authors they follow.
Every source is asked for at most ``limit`` ids older than the cursor, so a read touches at most
``limit * sources`` entries whatever the authors' follower counts.

A source held in Redis may be *truncated* (it was trimmed at the cap): when it runs dry its
older entries live only in the post store. ``safe_floor`` tells up to where the merged Redis
entries are known complete; below it the reader falls back to the store.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass
class Source:
    """Ids from one source, newest first, all below the cursor, at most ``limit`` of them."""

    ids: list[int]
    asked: int  # how many were asked for
    truncated: bool  # older entries may exist outside Redis
    authors: frozenset[str] | None = None  # authors this source stands for, when it runs dry

    @property
    def dry(self) -> bool:
        return len(self.ids) < self.asked


@dataclass
class MergePlan:
    ids: list[int]
    # None: the merge is complete down to its last id. Otherwise the id above which it is
    # complete, and the authors whose older posts must come from the post store.
    floor: int | None = None
    fallback_authors: set[str] = field(default_factory=set)


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


def plan_merge(sources: Sequence[Source], limit: int) -> MergePlan:
    """Merge ``sources``; if a truncated source ran dry, say where the store must take over.

    A truncated dry source is complete only above its last id (or has nothing below the cursor
    at all): entries of the merge below that point may be missing posts from its authors.
    """
    floor: int | None = None
    authors: set[str] = set()
    for s in sources:
        if s.truncated and s.dry:
            point = s.ids[-1] if s.ids else 0
            # 0 stands for "right at the cursor": nothing from this source is known below it.
            if floor is None or point > floor:
                floor = point
            authors |= s.authors or frozenset()
    merged = merge_newest([s.ids for s in sources], limit)
    if floor is None:
        return MergePlan(ids=merged)
    return MergePlan(ids=merged, floor=floor, fallback_authors=authors)


def next_cursor(page: Sequence[int], limit: int, exhausted: bool) -> str | None:
    """The cursor of the next page: the last id, or None when there is nothing older."""
    if not page or (exhausted and len(page) < limit):
        return None
    return str(page[-1])
