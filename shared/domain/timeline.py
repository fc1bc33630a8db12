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

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


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


def next_cursor(page: Sequence[int], limit: int, exhausted: bool) -> str | None:
    """The cursor of the next page: the last id, or None when there is nothing older."""
    if not page or (exhausted and len(page) < limit):
        return None
    return str(page[-1])
