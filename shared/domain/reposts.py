"""Reposts in timelines: the entry id of a repost, Mastodon's de-duplication rule, "reposted by".

A repost is a timeline entry of its own, fanned out to the *reposter's* followers by the same
push/pull policy as a post (domain.fanout). Its entry id has the layout of a post id
(shared.ids) with the reserved worker ``ids.REPOST_WORKER``: the timestamp bits are the repost's
millisecond, so the entry sorts, pages (``before`` cursors) and packs into a listpack exactly
like a post's (same score, same 19-digit member), and the worker bits tell it from any post id.
The sequence bits are a hash of (post, reposter); a clash with another repost of the same
millisecond moves to the next candidate (``entry_id(..., attempt)``), claimed in Redis.

De-duplication (Mastodon's ``FeedManager#add_to_feed``, REBLOG_FALLOFF 40): a repost is not
inserted into a home timeline when the original or another repost of it is among the reader's
newest ``DEDUPE_WINDOW`` entries (the writer checks it); entries merged at read time (pulled
reposts, own reposts, backfills) get the same rule from ``dedupe``, and a page never shows one
post twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from shared import ids

DEDUPE_WINDOW = 40
MAX_ATTEMPTS = 64  # clashes within one millisecond and 12-bit hash are rare; 64 is plenty
REPOSTED_BY_SHOWN = 3

_SEQ_BITS = 12
_SEQ_MASK = (1 << _SEQ_BITS) - 1
_WORKER_MASK = (1 << 10) - 1


def entry_id(reposted_ms: int, post_id: int, reposter: str, attempt: int = 0) -> int:
    """Candidate ``attempt`` of the entry id of ``reposter``'s repost of ``post_id``.

    Deterministic: a redelivered event walks the same candidates and finds its claim again.
    Past the 4,096 sequences of a millisecond the candidates move to the next millisecond."""
    digest = hashlib.blake2b(f"{post_id}/{reposter}".encode(), digest_size=4).digest()
    n = (int.from_bytes(digest, "big") & _SEQ_MASK) + attempt
    ms = max(reposted_ms, ids.KWETTER_EPOCH_MS) + (n >> _SEQ_BITS)
    return ids.min_id_at(ms) | (ids.REPOST_WORKER << _SEQ_BITS) | (n & _SEQ_MASK)


def is_repost(entry: int) -> bool:
    return (entry >> _SEQ_BITS) & _WORKER_MASK == ids.REPOST_WORKER


@dataclass(frozen=True)
class Entry:
    """One timeline entry as a page sees it: the entry id and the post it shows."""

    entry: int
    post_id: int

    @property
    def repost(self) -> bool:
        return self.entry != self.post_id


def dedupe(entries: Sequence[Entry], shown: Collection[int] = ()) -> list[Entry]:
    """The entries a page keeps, newest first.

    A repost yields to the original or another repost of it among the ``DEDUPE_WINDOW``
    entries after it (older: what the timeline held when it arrived), as the writer's rule
    would have done; then only the newest remaining entry of each post is kept, and none of a
    post already in ``shown`` (earlier rounds of the same page)."""
    out: list[Entry] = []
    seen = set(shown)
    for i, e in enumerate(entries):
        if e.repost and any(x.post_id == e.post_id for x in entries[i + 1 : i + 1 + DEDUPE_WINDOW]):
            continue
        if e.post_id in seen:
            continue
        seen.add(e.post_id)
        out.append(e)
    return out


@dataclass(frozen=True)
class RepostedBy:
    """Who of the people a reader follows reposted a post: the first few, and how many."""

    users: tuple[str, ...]
    count: int


def reposted_by(reposters: Iterable[str], visible: Collection[str]) -> RepostedBy | None:
    """``reposters`` newest first; ``visible``: whom the reader follows (and the reader)."""
    kept = [u for u in reposters if u in visible]
    if not kept:
        return None
    return RepostedBy(tuple(kept[:REPOSTED_BY_SHOWN]), len(kept))
