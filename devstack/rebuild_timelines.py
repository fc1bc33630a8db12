"""Rebuild every timeline in Redis from the post store and the graph (after Redis was lost).

    python -m devstack.rebuild_timelines [--checkpoint PATH] [--restart]

The CLI of the runbook shared.usecases.rebuild (which says what the two phases do): a checkpoint
file (JSON, outside Redis: Redis may be lost again) records the phase and the last user id done,
after every chunk; a rerun continues from there. Users come from the graph in id order.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.usecases.rebuild import CHUNK, PHASES, TimelineRebuild


@dataclass
class Checkpoint:
    """ports.RebuildCheckpoint in a JSON file."""

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


def rebuild(
    job: TimelineRebuild,
    user_ids_after: Callable[[str], Iterable[str]],
    checkpoint: Checkpoint,
    *,
    total: int | None = None,
    progress: bool = True,
    threads: int = 8,
    stop_after_chunks: int | None = None,
    chunk_size: int = CHUNK,
) -> Checkpoint:
    """Run (or resume) the rebuild with progress bars; returns the final checkpoint."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def advance(phase: str, n: int) -> None:
        if phase not in bars:
            for bar in bars.values():
                bar.close()
            bars[phase] = tqdm(total=total, desc=f"rebuild {phase}", unit="user")
        bars[phase].update(n)

    try:
        job.run(
            user_ids_after, checkpoint, threads=threads, chunk_size=chunk_size,
            stop_after_chunks=stop_after_chunks, progress=advance if progress else None,
        )  # fmt: skip
    finally:
        for bar in bars.values():
            bar.close()
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
    rebuild(c.timeline_rebuild, users, cp, total=total)
    print("done; delete the checkpoint or pass --restart to rebuild again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
