"""Bulk-load an edge list into the follow graph: ``python -m devstack.import_graph FILE``.

Each line ``a b`` is one undirected friendship, loaded as two follows (a->b and b->a), the way
DeathStarBench loads socfb-Reed98. Node N becomes user ``u<N>`` with handle ``user<N>`` and
display name ``User <N>``. Everything is MERGEd in UNWIND batches, so running it twice changes
nothing. Imported follows count as already announced: a seed must not replay history as events.
The writes are the graph adapter's (Neo4jGraph.import_users / import_follows); this module reads
the file, batches and reports progress.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from shared import config
from shared.adapters.neo4j_graph import Neo4jGraph
from shared.bootstrap import Container
from shared.ids import now_ms
from shared.iters import chunked
from shared.migrate import migrate

_T = TypeVar("_T")


@dataclass(frozen=True)
class ImportStats:
    users: int
    edges: int
    follows_created: int
    users_created: int
    seconds: float


def user_id(node: str) -> str:
    return f"u{node}"


def read_edges(path: Path) -> Iterator[tuple[str, str]]:
    """(a, b) node labels per edge; comment lines (``%``, ``#``) and self-loops are skipped."""
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts or parts[0].startswith(("%", "#")):
                continue
            if len(parts) < 2:
                raise ValueError(f"{path}:{lineno}: expected two node ids, got {line.strip()!r}")
            if parts[0] != parts[1]:
                yield parts[0], parts[1]


def import_edges(
    graph: Neo4jGraph, path: Path | str, *, batch_size: int = 5000, progress: bool = True
) -> ImportStats:
    """Load ``path`` into the graph (whose schema is in place); returns what it created.
    Idempotent."""
    started = time.monotonic()
    path = Path(path)
    edges = list(dict.fromkeys(read_edges(path)))
    nodes = sorted({n for e in edges for n in e}, key=lambda n: (len(n), n))
    follows = [(user_id(a), user_id(b)) for a, b in edges]
    follows += [(user_id(b), user_id(a)) for a, b in edges]
    now = now_ms()

    from tqdm import tqdm

    users_created = follows_created = 0
    rows = [(user_id(n), f"user{n}", f"User {n}") for n in nodes]
    bar = tqdm(total=len(rows), unit="user", desc="users", disable=not progress)
    for batch in chunked(rows, batch_size):
        users_created += graph.import_users(batch, now)
        bar.update(len(batch))
    bar.close()

    bar = tqdm(total=len(follows), unit="follow", desc="follows", disable=not progress)
    for pairs in chunked(follows, batch_size):
        follows_created += graph.import_follows(pairs, now)
        bar.update(len(pairs))
    bar.close()
    return ImportStats(
        users=len(nodes),
        edges=len(edges),
        follows_created=follows_created,
        users_created=users_created,
        seconds=time.monotonic() - started,
    )


def main(argv: list[str] | None = None) -> int:
    settings = config.load()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("edges", type=Path, help="edge list: one 'a b' pair per line")
    parser.add_argument("--neo4j-uri", default=settings.neo4j_uri)
    parser.add_argument("--neo4j-user", default=settings.neo4j_user)
    parser.add_argument("--neo4j-password", default=settings.neo4j_password)
    parser.add_argument("--database", default=settings.neo4j_database)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if not args.edges.is_file():
        parser.error(f"no such file: {args.edges}")
    c = Container(
        dataclasses.replace(
            settings,
            neo4j_uri=args.neo4j_uri,
            neo4j_user=args.neo4j_user,
            neo4j_password=args.neo4j_password,
            neo4j_database=args.database,
        )
    )
    try:
        # The schema first: MERGE on :User(id) without its constraint would scan every node.
        migrate(c)
        stats = import_edges(
            c.graph, args.edges, batch_size=args.batch_size, progress=not args.no_progress
        )
    finally:
        c.neo4j_driver.close()
    print(
        f"{stats.users} users ({stats.users_created} new), {stats.edges} edges -> "
        f"{stats.follows_created} new follows in {stats.seconds:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
