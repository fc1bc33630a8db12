"""Rebuild every timeline in Redis from the post store and the graph (after Redis was lost).

    python -m devstack.rebuild_timelines [--checkpoint PATH] [--restart]

Two phases, each resumable: a checkpoint file (JSON, outside Redis: Redis may be lost again)
records the phase and the last user id done, after every chunk; a rerun continues from there.

1. authors: every user's own timeline ``ut:{uid}`` (newest ``timeline_cap`` live posts from
   the post store, bodies cached) and the ``pullers`` set (authors over the follower threshold).
2. homes: every user's followee set, then their home timeline regenerated server-side from
   their followees' own timelines (ZUNIONSTORE + ZRANGESTORE, which keeps the listpack encoding).

Users come from the graph in id order. Rebuilt users count as active (their activity was lost
with Redis); anyone idle simply drops out of fan-out again after ``inactive_days``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import ids
from shared.adapters.redis_timeline import RedisTimelines, ut_key
from shared.ports import FollowerSource, PostStore

CHUNK = 100
PHASES = ("authors", "homes", "done")


@dataclass
class Checkpoint:
    path: Path
    phase: str = "authors"
    after: str = ""  # the last user id done in this phase ("" = none yet)

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        if path.exists():
            d = json.loads(path.read_text())
            if d.get("phase") in PHASES:
                return cls(path, d["phase"], str(d.get("after", "")))
        return cls(path)

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"phase": self.phase, "after": self.after}))
        tmp.replace(self.path)  # atomic: a crash leaves the old or the new checkpoint


def neo4j_user_ids(driver: Any, database: str, page: int = 1000) -> Callable[[str], Iterator[str]]:
    """User ids in id order after a given one, paged by key (no SKIP), straight from Neo4j."""

    def after(start: str) -> Iterator[str]:
        last = start
        while True:
            recs, _, _ = driver.execute_query(
                "MATCH (u:User) WHERE u.id > $after RETURN u.id AS id ORDER BY u.id LIMIT $n",
                after=last,
                n=page,
                database_=database,
            )
            if not recs:
                return
            for r in recs:
                yield str(r["id"])
            last = str(recs[-1]["id"])

    return after


def _chunks(it: Iterable[str], n: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for x in it:
        chunk.append(x)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rebuild(
    tl: RedisTimelines,
    graph: FollowerSource,
    posts: PostStore,
    user_ids_after: Callable[[str], Iterable[str]],
    checkpoint: Checkpoint,
    *,
    total: int | None = None,
    progress: bool = True,
    threads: int = 8,
    stop_after_chunks: int | None = None,
    chunk_size: int = CHUNK,
) -> Checkpoint:
    """Run (or resume) the rebuild; returns the final checkpoint.

    ``stop_after_chunks`` stops early (tests use it to prove a resumed run finishes the job).
    """
    from tqdm import tqdm

    chunks_done = 0
    threshold = tl.s.pull_follower_threshold
    with ThreadPoolExecutor(threads) as pool:
        while checkpoint.phase != "done":
            phase = checkpoint.phase
            bar = tqdm(total=total, desc=f"rebuild {phase}", unit="user", disable=not progress)
            for chunk in _chunks(user_ids_after(checkpoint.after), chunk_size):
                if phase == "authors":

                    def own(uid: str) -> tuple[str, list[Any], int]:
                        return uid, posts.list_user_posts(uid, tl.cap), graph.follower_count(uid)

                    pipe = tl.r.pipeline(transaction=False)
                    for uid, mine, followers in pool.map(own, chunk):
                        live = [p for p in mine if not p.deleted]
                        pipe.delete(ut_key(uid))
                        if live:
                            pipe.zadd(
                                ut_key(uid), {str(p.id): ids.timestamp_ms(p.id) for p in live}
                            )
                        if followers >= threshold:
                            pipe.sadd("pullers", uid)
                        tl.cache_posts(live)
                    pipe.execute()
                else:
                    for uid, followees in zip(
                        chunk, pool.map(graph.following_ids, chunk), strict=True
                    ):
                        tl.store_followees(uid, followees)
                        tl.regenerate(uid, followees)
                checkpoint.after = chunk[-1]
                checkpoint.save()
                bar.update(len(chunk))
                chunks_done += 1
                if stop_after_chunks is not None and chunks_done >= stop_after_chunks:
                    bar.close()
                    return checkpoint
            bar.close()
            checkpoint.phase = PHASES[PHASES.index(phase) + 1]
            checkpoint.after = ""
            checkpoint.save()
    return checkpoint


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, default=Path(".local/rebuild_timelines.json"))
    ap.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    args = ap.parse_args(argv)

    from shared.bootstrap import container

    c = container()
    args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    if args.restart:
        args.checkpoint.unlink(missing_ok=True)
    cp = Checkpoint.load(args.checkpoint)
    recs, _, _ = c.neo4j_driver.execute_query(
        "MATCH (u:User) RETURN count(u) AS n", database_=c.settings.neo4j_database
    )
    total = int(recs[0]["n"])
    print(f"rebuilding timelines of {total} users (resuming at {cp.phase} after {cp.after!r})")
    users = neo4j_user_ids(c.neo4j_driver, c.settings.neo4j_database)
    rebuild(c.timelines, c.graph, c.posts, users, cp, total=total)
    print("done; delete the checkpoint or pass --restart to rebuild again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
