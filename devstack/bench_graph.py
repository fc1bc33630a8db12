"""Benchmark of the follower stream the fan-out planner reads.

``python -m devstack.bench_graph [--alternatives]`` builds an author with N followers
(100k by default) and measures, on a real Neo4j:
- ``Neo4jGraph.iter_follower_pages`` (pages of 1,000): ids/s;
- with --alternatives, the two designs it replaced, for the record of why it won;
- one page of the public followers list and a follower count on that author.
Uses NEO4J_URI/--neo4j-uri when given, else starts a throwaway Neo4j of its own.
Numbers go to docs/graph.md.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import LiteralString

import neo4j

from shared.adapters.neo4j_graph import EDGE_KEYS, Neo4jGraph

AUTHOR = "bench-author"
Q_FOLLOWERS: LiteralString = (
    """
    UNWIND $ids AS fid
    MERGE (a:User {id: fid})
    ON CREATE SET a.handle = fid, a.handle_key = fid, a.display_name = fid, a.created_ms = $now
    WITH a
    MATCH (b:User {id: $author})
    MERGE (a)-[r:FOLLOWS]->(b)
    ON CREATE SET """
    + EDGE_KEYS
)
# The designs measured against the one in Neo4jGraph, kept here as the record of the choice.
# 1. Keyset from the user node: every page expands and top-k sorts all followers again.
Q_NODE_KEYSET: LiteralString = """
    MATCH (:User {id: $id})<-[:FOLLOWS]-(f)
    WHERE f.id > $after
    RETURN f.id AS id ORDER BY id LIMIT $n
"""
# 2. One lazily streamed read from the user node, one Bolt record per follower.
Q_NODE_STREAM: LiteralString = "MATCH (:User {id: $id})<-[:FOLLOWS]-(f) RETURN f.id AS id"


@contextlib.contextmanager
def _neo4j(uri: str | None) -> Iterator[str]:
    if uri:
        yield uri
        return
    from devstack import services

    with tempfile.TemporaryDirectory(prefix="kwetter-bench-graph-") as tmp:
        bolt, http = services.free_port(), services.free_port()
        svc = services.neo4j(bolt, http, Path(tmp))
        svc.start(timeout=180)
        try:
            yield f"bolt://127.0.0.1:{bolt}"
        finally:
            svc.stop()


def build(graph: Neo4jGraph, n: int, batch: int = 10_000) -> None:
    graph.ensure_schema()
    if graph.follower_count(AUTHOR) >= n:
        return
    graph.create_user(AUTHOR, "bench_author", "Bench Author")
    now = int(time.time() * 1000)
    with graph.driver.session(database=graph.database) as s:
        for start in range(0, n, batch):
            ids = [f"bf{i:07d}" for i in range(start, min(n, start + batch))]
            s.execute_write(_write, ids, now)


def bench_stream(graph: Neo4jGraph, page_size: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    total = sum(len(p) for p in graph.iter_follower_pages(AUTHOR, page_size))
    return total, time.perf_counter() - t0


def _keyset_page(tx: neo4j.ManagedTransaction, after: str, n: int) -> list[str]:
    return [r["id"] for r in tx.run(Q_NODE_KEYSET, id=AUTHOR, after=after, n=n)]


def bench_node_keyset(graph: Neo4jGraph, page_size: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    total, after = 0, ""
    with graph.driver.session(database=graph.database) as s:
        while True:
            ids = s.execute_read(_keyset_page, after, page_size)
            if not ids:
                break
            total, after = total + len(ids), ids[-1]
    return total, time.perf_counter() - t0


def bench_node_stream(graph: Neo4jGraph, page_size: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    total = 0
    with graph.driver.session(database=graph.database, fetch_size=page_size) as s:
        for _ in s.run(Q_NODE_STREAM, id=AUTHOR):
            total += 1
    return total, time.perf_counter() - t0


def _write(tx: neo4j.ManagedTransaction, ids: list[str], now: int) -> None:
    tx.run(Q_FOLLOWERS, ids=ids, now=now, author=AUTHOR).consume()


def main() -> None:
    p = argparse.ArgumentParser(description="follower stream benchmark")
    p.add_argument("--neo4j-uri", default=None)
    p.add_argument("--database", default="neo4j")
    p.add_argument("--followers", type=int, default=100_000)
    p.add_argument("--page-size", type=int, default=1000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--alternatives", action="store_true", help="also time the designs replaced")
    args = p.parse_args()
    with _neo4j(args.neo4j_uri) as uri, neo4j.GraphDatabase.driver(uri, auth=None) as driver:
        graph = Neo4jGraph(driver, args.database)
        t0 = time.perf_counter()
        build(graph, args.followers)
        print(f"setup: {args.followers} followers in {time.perf_counter() - t0:.1f}s")
        bench_stream(graph, args.page_size)  # warm the page cache and the query plan
        rates = []
        for _ in range(args.runs):
            n, secs = bench_stream(graph, args.page_size)
            assert n == args.followers, n
            rates.append(n / secs)
        print(
            f"iter_follower_pages: {statistics.median(rates):,.0f} ids/s median "
            f"(min {min(rates):,.0f}, max {max(rates):,.0f}) over {args.runs} runs of {n:,} ids"
        )
        if args.alternatives:
            n, secs = bench_node_stream(graph, args.page_size)
            print(f"alternative, one streamed read from the user node: {n / secs:,.0f} ids/s")
            n, secs = bench_node_keyset(graph, args.page_size)
            print(f"alternative, keyset pages from the user node: {n / secs:,.0f} ids/s")
        lat = []
        for _ in range(20):
            t = time.perf_counter()
            graph.followers(AUTHOR, 100, None)
            lat.append(time.perf_counter() - t)
        print(f"followers(limit=100) first page: {statistics.median(lat) * 1000:.1f} ms median")
        lat = []
        for _ in range(20):
            t = time.perf_counter()
            graph.follower_count(AUTHOR)
            lat.append(time.perf_counter() - t)
        print(f"follower_count: {statistics.median(lat) * 1000:.2f} ms median")


if __name__ == "__main__":
    main()
