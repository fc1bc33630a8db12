"""Rebuilding every timeline from the post store and the graph, after Redis was lost.

Why it exists: Redis holds derived state only (the post store and the graph are the truth), so
losing it must cost a runbook, not data; production needs this runbook, so it lives in the
package, over the ports, and the CLI (devstack/rebuild_timelines.py) only drives it.

What it promises: two phases, each resumable from a checkpoint saved after every chunk (outside
Redis: Redis may be lost again), so a rerun continues where the last one stopped:

1. authors: every user's own timeline (newest ``timeline_cap`` live posts from the store, their
   bodies cached) and the pull-mode authors (over the follower threshold);
2. homes: every user's followee set, then their home timeline regenerated server-side from their
   followees' own timelines.

Rebuilt users count as active (their activity was lost with Redis); anyone idle simply drops out
of fan-out again after ``inactive_days``. Once done, every timeline reads as it did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from shared.config import Settings
from shared.domain.model import Post
from shared.iters import chunked
from shared.ports import (
    FollowerSource,
    PostStore,
    RebuildCheckpoint,
    RepostRecords,
    TimelineStore,
)

CHUNK = 100
PHASES = ("authors", "homes", "done")


class TimelineRebuild:
    def __init__(
        self,
        timelines: TimelineStore,
        graph: FollowerSource,
        posts: PostStore,
        settings: Settings,
        reposts: RepostRecords | None = None,
    ) -> None:
        self.reposts = reposts  # None: a platform without reposts' records (tests of posts only)
        self.tl = timelines
        self.graph = graph
        self.posts = posts
        self.cap = settings.timeline_cap
        self.pull_threshold = settings.pull_follower_threshold

    def run(
        self,
        user_ids_after: Callable[[str], Iterable[str]],
        checkpoint: RebuildCheckpoint,
        *,
        threads: int = 8,
        chunk_size: int = CHUNK,
        stop_after_chunks: int | None = None,
        progress: Callable[[str, int], None] | None = None,
    ) -> RebuildCheckpoint:
        """Run (or resume) the rebuild over the users ``user_ids_after(id)`` yields (in id
        order, after ``id``); returns the checkpoint, ``done`` when finished.

        ``progress(phase, users)`` is called after each chunk; ``stop_after_chunks`` stops early
        (tests use it to prove a resumed run finishes the job).
        """
        chunks_done = 0
        with ThreadPoolExecutor(threads) as pool:
            while checkpoint.phase != "done":
                phase = checkpoint.phase
                for chunk in chunked(user_ids_after(checkpoint.after), chunk_size):
                    if phase == "authors":
                        self._authors(pool, chunk)
                    else:
                        self._homes(pool, chunk)
                    checkpoint.after = chunk[-1]
                    checkpoint.save()
                    if progress is not None:
                        progress(phase, len(chunk))
                    chunks_done += 1
                    if stop_after_chunks is not None and chunks_done >= stop_after_chunks:
                        return checkpoint
                checkpoint.phase = PHASES[PHASES.index(phase) + 1]
                checkpoint.after = ""
                checkpoint.save()
        return checkpoint

    def _authors(self, pool: ThreadPoolExecutor, chunk: list[str]) -> None:
        def own(uid: str) -> tuple[str, list[Post], int]:
            return uid, self.posts.list_user_posts(uid, self.cap), self.graph.follower_count(uid)

        for uid, mine, followers in pool.map(own, chunk):
            self.tl.restore_author(uid, mine, puller=followers >= self.pull_threshold)
        if self.reposts is None:
            return
        reposts = self.reposts

        def reposted(uid: str) -> tuple[str, list[tuple[int, int]]]:
            return uid, reposts.reposts_by(uid, self.cap)

        # Their reposts back in their own timeline, each under the entry id it had (bound
        # again from the same inputs), so the homes phase merges them as it merges posts.
        for uid, made in pool.map(reposted, chunk):
            for post_id, at_ms in reversed(made):
                self.tl.record_repost(post_id, uid, at_ms)

    def _homes(self, pool: ThreadPoolExecutor, chunk: list[str]) -> None:
        for uid, followees in zip(chunk, pool.map(self.graph.following_ids, chunk), strict=True):
            self.tl.store_followees(uid, followees)
            self.tl.regenerate(uid, followees)
