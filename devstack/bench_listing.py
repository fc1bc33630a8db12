"""A followers page of 100 through the local gateway (issue 16: "slow listing").

    python -m devstack.bench_listing [--requests 200] [--posts 3]

Starts a throw-away LocalStack, gives an author 100 followers (the graph adapter's bulk import)
with a few posts each in the Firestore emulator, then asks the gateway for
``GET /v1/users/{id}/followers?limit=100`` one request at a time and prints the latency
percentiles, next to what the page's post counts alone cost in this process, measured in the
same run: the per-author counter documents read with one ``get_all`` (count_user_posts_many,
shared/adapters/firestore_author_stats.py) against the previous way, 100 count() aggregations
16 in flight, and the one-off backfill of a page of authors whose posts predate the counter.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from devstack.authtools import emulator_token
from devstack.stack import LocalStack, Ports

PROJECT = "demo-kwetter-bench"
STAR = "bench-star"


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def timed(n: int, call: Callable[[], object]) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        out.append((time.perf_counter() - t) * 1e3)
    return out


def line(name: str, ms: list[float]) -> str:
    return (
        f"{name:<44} n={len(ms):<4} p50 {statistics.median(ms):7.1f} ms"
        f"  p99 {pct(ms, 99):7.1f} ms  max {max(ms):7.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--posts", type=int, default=3, help="posts per follower")
    args = ap.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="kwetter-listing-"))
    stack = LocalStack(workdir, Ports.free(), PROJECT, persist=False)
    print(f"load average: {os.getloadavg()}", flush=True)
    stack.start()
    try:
        os.environ.update(stack.addresses())
        from shared import config
        from shared.bootstrap import Container

        c = Container(config.load())  # the stack's addresses, from the environment set above
        fans = [(f"bench-fan-{i:03d}", f"bench_fan_{i:03d}", f"Fan {i}") for i in range(100)]
        c.graph.import_users([(STAR, "bench_star", "Star"), *fans], now=1)
        c.graph.import_follows([(f[0], STAR) for f in fans], now=1)
        posts = c.posts
        pid = time.time_ns() // 1000
        for uid, _, _ in fans:
            for _ in range(args.posts):
                pid += 1
                posts.create_post(uid, "hello", None, pid)

        url = f"{stack.gateway_url}/v1/users/{STAR}/followers?limit=100"
        headers = {"Authorization": f"Bearer {emulator_token(fans[0][0], PROJECT)}"}
        session = requests.Session()

        def page() -> None:
            r = session.get(url, headers=headers, timeout=30)
            r.raise_for_status()
            assert len(r.json()["items"]) == 100

        timed(20, page)  # warm-up: first imports, JIT of the emulators
        gateway = timed(args.requests, page)
        ids = [f[0] for f in fans]

        def aggregations() -> None:  # the previous way: one count() per author, 16 in flight
            with ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda a: posts._live_posts_of(a).count().get(), ids))

        cpu = time.process_time()
        old = timed(50, aggregations)
        old_cpu = (time.process_time() - cpu) / 50
        cpu = time.process_time()
        new = timed(50, lambda: posts.count_user_posts_many(ids))
        new_cpu = (time.process_time() - cpu) / 50
        for uid in ids:  # authors from before the counter: the first read backfills each once
            c.firestore.collection("author_stats").document(uid).delete()
        backfill = timed(1, lambda: posts.count_user_posts_many(ids))
        print(f"load average: {os.getloadavg()}")
        print(line("GET followers?limit=100 through the gateway", gateway))
        print(line("page's post counts: 100 count() aggregations", old)
              + f"  cpu {old_cpu * 1e3:6.1f} ms/page")  # fmt: skip
        print(line("page's post counts: counter docs (get_all)", new)
              + f"  cpu {new_cpu * 1e3:6.1f} ms/page")  # fmt: skip
        print(line("same, all 100 authors to backfill (once)", backfill))
        ratio = statistics.median(new) / statistics.median(old)
        print(f"counter docs / aggregations: p50 x{ratio:.2f}, cpu x{new_cpu / old_cpu:.2f}")
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
