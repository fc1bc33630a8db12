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
import base64
import json
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
from shared.domain.model import User
from shared.entrypoints.http.auth import userinfo_header

PROJECT = "demo-kwetter-bench"
STAR = "bench-star"
HOPS = ("graph page (Neo4j)", "post counts (Firestore get_all)", "post counts (list cache)",
        "avatars (profile cards)", "whole use case")  # fmt: skip


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
        # Registration writes each person's profile card (Redis); the bulk import does not.
        c.profile_cards.put_cards([User(id=u, handle=h, display_name=d) for u, h, d in fans])
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

        # The same request straight to the users function, with the headers the gateway adds:
        # the difference is the gateway's hop (its token check and proxying).
        token = emulator_token(fans[0][0], PROJECT)
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        direct_url = f"{stack.function_url('users')}/v1/users/{STAR}/followers?limit=100"
        direct_headers = {
            "X-Apigateway-Api-Userinfo": userinfo_header(claims),
            "X-Forwarded-Authorization": f"Bearer {token}",
        }
        direct_session = requests.Session()

        def direct() -> None:
            r = direct_session.get(direct_url, headers=direct_headers, timeout=30)
            r.raise_for_status()
            assert len(r.json()["items"]) == 100

        users = c.users
        hops: dict[str, list[float]] = {k: [] for k in HOPS}

        def in_process() -> None:  # the use case's parts, in this process, on the same stores
            t0 = time.perf_counter()
            listed = c.graph.followers(STAR, 100)
            t1 = time.perf_counter()
            assert listed is not None
            ids = [u.id for u in listed.users]
            posts.count_user_posts_many(ids)
            t2 = time.perf_counter()
            c.list_post_counts.count_user_posts_many(ids)
            t3 = time.perf_counter()
            users._avatars_of(ids, listing=True)
            t4 = time.perf_counter()
            users.followers(STAR, 100, None)
            t5 = time.perf_counter()
            marks = (t0, t1, t2, t3, t4, t5)
            for k, a, b in zip(HOPS, marks[:-1], marks[1:], strict=True):
                hops[k].append((b - a) * 1e3)

        for _ in range(20):  # warm-up: first imports, JIT of the emulators
            page()
            direct()
            in_process()
        for k in HOPS:
            hops[k].clear()
        gateway: list[float] = []
        straight: list[float] = []
        for _ in range(args.requests):  # interleaved, so a noisy moment hits every path alike
            gateway += timed(1, page)
            straight += timed(1, direct)
            in_process()
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
        print(line("same, straight to the users function", straight))
        for k in HOPS:
            print(line(f"  in process: {k}", hops[k]))
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
