"""A like storm on one post, through the functions (issue 20; docs/conversations.md).

    python -m devstack.bench_likes [--rate 1000] [--seconds 30] [--workers 48]

Starts the whole local stack (devstack.stack.LocalStack), registers an author through the
gateway and posts once, then sends ``PUT /v1/posts/{id}/like`` through the gateway at a steady
``rate`` for ``seconds``, each like by a different user (emulator tokens: one like record per
user), from a thread pool. The schedule is open-loop: a like is due at its slot whether or not
the earlier ones were answered, so a machine that cannot carry the rate shows it as likes sent
late (and the achieved rate is printed beside the asked one).

Then it checks: every like answered 200; the post's ``like_count`` (GET /v1/posts/{id}, once
the counter consumers drained) equals the number of likes sent; the like records in Firestore
say the same (a count() aggregation); and the functions' logs hold no Firestore contention
error (ABORTED / "too much contention"). Printed: achieved rate, p50/p99/max latency, CPU
seconds of the stack's processes per 1,000 likes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from devstack.authtools import emulator_token
from devstack.stack import LocalStack, Ports

PROJECT = "demo-kwetter-bench"
CONTENTION = ("ABORTED", "too much contention", "Transaction lock timeout")


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def _headers(uid: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {emulator_token(uid, PROJECT)}"}


def _cpu_seconds(groups: set[int]) -> float:
    """CPU seconds of every live process in these process groups (each service is started in
    a group of its own: a function's gunicorn workers, a JVM's threads, all count)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups:  # pgrp
            total += (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime, ticks
    return total


def storm(stack: LocalStack, rate: float, seconds: float, workers: int) -> dict[str, Any]:
    gw = stack.gateway_url
    author = f"storm-author-{uuid.uuid4().hex[:8]}"
    r = requests.post(
        f"{gw}/v1/users", json={"handle": author.replace("-", "_")[:30], "display_name": "Hot"},
        headers=_headers(author), timeout=30,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    r = requests.post(
        f"{gw}/v1/posts", json={"text": "like me"}, headers=_headers(author), timeout=30
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    n = int(rate * seconds)
    tag = uuid.uuid4().hex[:6]
    likers = [f"fan-{tag}-{i}" for i in range(n)]
    tokens = [_headers(u) for u in likers]  # minted before the clock starts
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=workers, pool_maxsize=workers)
    session.mount("http://", adapter)
    lat: list[float] = []
    late: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start = time.monotonic() + 0.5

    def one(i: int) -> None:
        due = start + i / rate
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        t = time.monotonic()
        try:
            resp = session.put(f"{gw}/v1/posts/{pid}/like", headers=tokens[i], timeout=60)
            code = resp.status_code
        except requests.RequestException:
            code = 0
        took = time.monotonic() - t
        with lock:
            statuses[code] += 1
            lat.append(took)
            late.append(max(0.0, t - due))

    procs = {s.proc.pid for s in stack.started if s.proc is not None}
    cpu0 = _cpu_seconds(procs)
    t0 = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(n)))
    wall = time.monotonic() - start
    cpu = _cpu_seconds(procs) - cpu0
    # the counters: the answer's count is written through, the consumers apply every like again
    final = -1
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = requests.get(f"{gw}/v1/posts/{pid}", headers=_headers(author), timeout=30).json()
        final = int(body["like_count"])
        if final == statuses[200]:
            break
        time.sleep(1)
    from shared.bootstrap import Container
    from shared.domain.conversations import Kind

    # the stack's Firestore emulator (stack.start put its address in this process's env)
    records = Container().engagement_records.count_active(Kind.LIKE, int(pid))
    contention = 0
    for log in stack.workdir.rglob("*.log"):
        text = log.read_text(errors="replace")
        contention += sum(text.count(c) for c in CONTENTION)
    result = {
        "asked_rate": rate, "seconds": seconds, "likes_sent": n,
        "achieved_rate": n / wall, "elapsed_s": wall, "send_s": time.monotonic() - t0,
        "statuses": dict(statuses), "p50_ms": _pct(lat, 0.5) * 1e3,
        "p99_ms": _pct(lat, 0.99) * 1e3, "max_ms": max(lat) * 1e3,
        "late_p99_s": _pct(late, 0.99), "final_like_count": final,
        "firestore_active_records": records, "contention_errors": contention,
        "stack_cpu_s_per_1000": cpu / max(1, n) * 1000,
    }  # fmt: skip
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rate", type=float, default=1000.0, help="likes per second asked")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=48, help="client threads")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="kwetter-bench-likes-"))
    stack = LocalStack(workdir, Ports.free(), PROJECT, persist=False, tick_seconds=5.0)
    print("starting the local stack ...", flush=True)
    stack.start()
    try:
        res = storm(stack, args.rate, args.seconds, args.workers)
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    ok = (
        res["statuses"].get(200, 0) == res["likes_sent"]
        and res["final_like_count"] == res["likes_sent"]
        and res["firestore_active_records"] == res["likes_sent"]
        and res["contention_errors"] == 0
    )
    print(
        f"like storm on one post: asked {res['asked_rate']:.0f}/s x {res['seconds']:.0f} s = "
        f"{res['likes_sent']} likes; achieved {res['achieved_rate']:.1f}/s "
        f"(sends late p99 {res['late_p99_s']:.2f} s)\n"
        f"  answers {res['statuses']}; latency p50 {res['p50_ms']:.0f} ms, p99 "
        f"{res['p99_ms']:.0f} ms, max {res['max_ms']:.0f} ms\n"
        f"  final like_count {res['final_like_count']}, Firestore active records "
        f"{res['firestore_active_records']}, contention errors in the logs "
        f"{res['contention_errors']}\n"
        f"  stack CPU {res['stack_cpu_s_per_1000']:.1f} s per 1,000 likes -> "
        f"{'OK' if ok else 'FAILED'}"
    )
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
