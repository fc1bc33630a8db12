"""Push or pull, decided once per post: the adaptive fan-out policy.

A post is *pushed* (written into each follower's home timeline) or *pulled* (kept only in the
author's own timeline and merged into readers' home timelines at read time). Pushing costs one
write per follower and makes reads cheap; pulling costs one write and a bounded merge per read.

The Feeding Frenzy rule (Silberstein et al., SIGMOD 2010) says which is cheaper for a pair
(author, reader): push when the reader reads more often than the author writes, pull otherwise.
We apply it per post, with two estimates:

- an author with at least ``pull_follower_threshold`` followers is pulled: with that many readers
  some read rarely, and O(followers) writes per post is the celebrity problem itself;
- an author writing faster than a reader refreshes is pulled: a reader is assumed to refresh at
  most ``burst_post_threshold`` times per ``burst_window_seconds`` (default 20 per minute), so an
  author who wrote more than that in the window - or is on pace to, judged over at least two
  intervals - is in a burst, and each further write is cheaper pulled than pushed.

The decision is recorded with the post (Redis SET NX), so a redelivered event never flips it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from shared.config import Settings
from shared.iters import chunked

# A pace needs two intervals: a single quick reply after a post is not a burst.
MIN_POSTS_FOR_PACE = 3


class Mode(StrEnum):
    PUSH = "push"
    PULL = "pull"


@dataclass(frozen=True)
class AuthorActivity:
    """What the policy knows about the author when a post arrives."""

    follower_count: int
    posts_in_window: int  # including this post
    window_span_ms: int  # this post's time minus the oldest post in the window (0 when alone)


@dataclass(frozen=True)
class Policy:
    pull_follower_threshold: int
    burst_window_ms: int
    burst_post_threshold: int

    @classmethod
    def from_settings(cls, s: Settings) -> Policy:
        return cls(
            pull_follower_threshold=s.pull_follower_threshold,
            burst_window_ms=s.burst_window_seconds * 1000,
            burst_post_threshold=s.burst_post_threshold,
        )

    def is_burst(self, posts_in_window: int, window_span_ms: int) -> bool:
        if posts_in_window > self.burst_post_threshold:
            return True
        if posts_in_window < MIN_POSTS_FOR_PACE:
            return False
        # Projected posts per window at the pace observed so far; the span is floored at one
        # reader refresh interval so that same-millisecond posts do not divide by zero.
        refresh_ms = self.burst_window_ms / max(1, self.burst_post_threshold)
        span = max(float(window_span_ms), refresh_ms)
        projected = (posts_in_window - 1) * self.burst_window_ms / span
        return projected > self.burst_post_threshold

    def decide(self, activity: AuthorActivity) -> Mode:
        if activity.follower_count >= self.pull_follower_threshold:
            return Mode.PULL
        if self.is_burst(activity.posts_in_window, activity.window_span_ms):
            return Mode.PULL
        return Mode.PUSH


def batches(pages: Iterable[list[str]], size: int) -> Iterator[list[str]]:
    """Re-slice follower pages into recipient batches of exactly ``size`` (the last one less)."""
    return chunked(itertools.chain.from_iterable(pages), size)


_M64 = (1 << 64) - 1


def trims(post_id: int, every: int) -> bool:
    """Whether the inserts of this post trim the home timelines they land in back to the cap.

    One post in ``every`` does, chosen by a 64-bit mix of its id (splitmix64's finaliser:
    consecutive ids land far apart), the same on every redelivery. A timeline then holds at most
    the cap plus the inserts since its last trimming post: geometric with mean ``every - 1``;
    with ``every`` 8, more than 224 extra entries in a row has probability (7/8)**224 ~ 1e-13.
    Stream-Framework trims with a random chance per insert; this keeps the writer idempotent.
    """
    if every <= 1:
        return True
    z = (post_id + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return (z ^ (z >> 31)) % every == 0
