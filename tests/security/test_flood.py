"""One client floods while others use the platform (issue 16's flood test).

Others: a few accounts that follow each other, each from its own address, post and read their
home timelines in a steady loop, measured three times in this one test: quiet, then while one
client (one address, one account, plus fresh accounts registering from that address) floods
posts, follow/unfollow toggles and registrations, then quiet again (the two quiet runs pooled).
The flood gets 429s with Retry-After; the others get none, their p99 stays within 1.5x the quiet
runs'; nothing admitted is lost: every 201 post (theirs and the flooder's) is readable and in
its followers' home timelines.

The flood is paced (FLOOD_RATE requests a second from FLOOD_THREADS threads, one per kind):
what is measured is the limiter keeping a client's excess away from the others, not how many
requests a second a 2-core laptop serves. The figures are written to .local/flood.json
(docs/faults.md).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from devstack.stack import LocalStack
from tests.faults import harness

pytestmark = pytest.mark.integration

REPORT = Path(__file__).resolve().parents[2] / ".local" / "flood.json"
OTHERS = 3
# Per other and phase ROUNDS times READS timeline reads and a post every other round: 180
# requests a phase (the p99 of the 96 it once was is their slowest one, too noisy to compare on
# 2 shared cores); the three phases' posts stay within an ordinary account's limits.
ROUNDS = 8
READS = 7
FLOOD_RATE = 60.0
# One thread per kind (a follow toggle takes seconds on a busy machine and must not hold up the
# posts), three toggling the one edge.
FLOOD_KINDS = ("post", "follow", "follow", "follow", "register")
FLOOD_THREADS = len(FLOOD_KINDS)
FLOOD_LEAD_SECONDS = 5.0


def _p99(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(0.99 * len(xs)))]


def _workload(
    others: list[harness.Client], tag: str, rounds: int = ROUNDS
) -> tuple[list[float], list[int], list[int]]:
    """Every other posts and reads in a loop: (latencies s, statuses, ids of 201 posts)."""
    lock = threading.Lock()
    lat: list[float] = []
    codes: list[int] = []
    posted: list[int] = []

    def one(c: harness.Client) -> None:
        for i in range(rounds):
            if i % 2 == 0:  # a post every other round: three phases stay within the limits
                t0 = time.perf_counter()
                r = c.post(f"{tag} {c.uid} {i}")
                took = time.perf_counter() - t0
                with lock:
                    lat.append(took)
                    codes.append(r.status_code)
                    if r.status_code == 201:
                        posted.append(int(r.json()["id"]))
            for _ in range(READS):
                t0 = time.perf_counter()
                r = c.call("GET", "/v1/timeline?limit=20")
                took = time.perf_counter() - t0
                with lock:
                    lat.append(took)
                    codes.append(r.status_code)

    with ThreadPoolExecutor(len(others)) as pool:
        list(pool.map(one, others))
    return lat, codes, posted


def test_a_flood_gets_429s_and_the_others_do_not_notice(stack: LocalStack) -> None:
    others = harness.register(stack, "calm", OTHERS)
    flood_address = harness.loopback_address(f"flood-{uuid.uuid4().hex}")
    (flooder,) = harness.register(stack, "flood", 1, source=flood_address)
    (victim,) = harness.register(stack, "victim", 1)
    for a in others:
        for b in [*others, flooder]:
            if a is not b:
                assert a.follow(b.uid).status_code == 200
    # Warm every function and connection up (first calls pay cold starts), unmeasured; the
    # flooder's account too. Then the quiet run.
    _, _, warm_posts = _workload(others, "warm-up", rounds=2)
    r = flooder.post("warm-up")
    assert r.status_code == 201, r.text
    warm_posts.append(int(r.json()["id"]))
    assert flooder.follow(victim.uid).status_code == 200
    quiet_lat, quiet_codes, quiet_posts = _workload(others, "quiet")

    stop = threading.Event()
    flood_codes: Counter[str] = Counter()
    flood_posts: list[int] = []
    missing_retry_after: list[str] = []
    flood_lat_by_status: dict[int, list[float]] = {}
    lock = threading.Lock()
    tag = uuid.uuid4().hex[:6]

    def flood(k: int) -> None:
        n = 0
        interval = FLOOD_THREADS / FLOOD_RATE
        next_at = time.monotonic()
        while not stop.is_set():
            kind = FLOOD_KINDS[k]
            t0 = time.perf_counter()
            try:
                r = flood_one(kind, k, n)
            except Exception as exc:  # a dead flood thread would silently end the flood
                with lock:
                    flood_codes[f"{kind} {type(exc).__name__}: {str(exc)[:80]}"] += 1
                n += 1
                continue
            with lock:
                flood_lat_by_status.setdefault(r.status_code, []).append(time.perf_counter() - t0)
                flood_codes[f"{kind} {r.status_code}"] += 1
                if r.status_code == 201 and kind == "post":
                    flood_posts.append(int(r.json()["id"]))
                if r.status_code == 429 and "Retry-After" not in r.headers:
                    missing_retry_after.append(kind)
            n += 1
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    def flood_one(kind: str, k: int, n: int) -> requests.Response:
        if kind == "post":
            r = flooder.post(f"flood {k} {n}")
        elif kind == "follow":
            r = flooder.call("PUT" if n % 2 else "DELETE", f"/v1/users/{victim.uid}/follow")
        else:
            newcomer = harness.client(stack, f"flood-{tag}-{k}-{n}", flood_address)
            r = newcomer.call(
                "POST", "/v1/users", json={"handle": f"fl_{tag}_{k}_{n}", "display_name": "f"}
            )
        return r

    threads = [threading.Thread(target=flood, args=(k,), daemon=True) for k in range(FLOOD_THREADS)]
    for t in threads:
        t.start()
    time.sleep(FLOOD_LEAD_SECONDS)  # the flood's windows are full before measuring
    try:
        flood_lat, flood_codes_others, flood_phase_posts = _workload(others, "flooded")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)

    # Quiet again after the flood, pooled with the quiet run before it: the other suites running
    # beside this one change the machine's load over a minute, and a quiet phase on each side of
    # the flood makes that drift the same for both sides of the comparison.
    after_lat, after_codes, after_posts = _workload(others, "quiet-after")
    quiet_lat, quiet_codes = [*quiet_lat, *after_lat], [*quiet_codes, *after_codes]
    quiet_posts = [*quiet_posts, *after_posts]
    refused = sum(n for k, n in flood_codes.items() if k.endswith(" 429"))
    quiet_p99, flood_p99 = _p99(quiet_lat), _p99(flood_lat)
    # Nothing admitted is lost: every 201 post readable, and in every follower's home timeline.
    admitted = [*warm_posts, *quiet_posts, *flood_phase_posts, *flood_posts]
    for pid in admitted:
        assert others[0].call("GET", f"/v1/posts/{pid}").status_code == 200, pid
    c = harness.container(stack)
    followers_of = {pid: [o for o in others] for pid in admitted}

    def missing() -> list[str]:
        out = []
        homes = {o.uid: set(o.home_ids(100)) for o in others}
        for pid in admitted:
            post = c.posts.get_post(pid)
            assert post is not None
            for o in followers_of[pid]:
                if pid not in homes[o.uid]:
                    out.append(f"{pid} by {post.author_id} not in {o.uid}'s timeline")
        return out

    try:
        harness.wait_until(lambda: not missing(), 60, "every admitted post in its followers' homes")
        lost = 0
    except AssertionError:
        lost = len(missing())
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({
        "others": OTHERS, "requests_per_phase": len(flood_lat), "quiet_requests": len(quiet_lat),
        "quiet_p99_ms": round(quiet_p99 * 1000, 1), "flood_p99_ms": round(flood_p99 * 1000, 1),
        "ratio": round(flood_p99 / quiet_p99, 2),
        "flood_rate_per_s": FLOOD_RATE, "flood_requests": sum(flood_codes.values()),
        "flood_429": refused, "flood_by_kind_and_status": dict(sorted(flood_codes.items())),
        "flood_p50_ms_by_status": {
            st: round(sorted(v)[len(v) // 2] * 1000, 1) for st, v in flood_lat_by_status.items()
        },
        "admitted_posts_checked": len(admitted), "lost": lost,
    }, indent=2))  # fmt: skip
    assert refused > 0, flood_codes
    for kind in ("post", "follow", "register"):
        assert flood_codes[f"{kind} 429"] > 0, (kind, flood_codes)
    assert not missing_retry_after, missing_retry_after
    assert set(quiet_codes) <= {200, 201} and set(flood_codes_others) <= {200, 201}, (
        Counter(quiet_codes), Counter(flood_codes_others),
    )  # fmt: skip
    assert lost == 0, missing()[:20]
    assert flood_p99 <= 1.5 * quiet_p99, (
        f"others' p99 {flood_p99 * 1000:.0f} ms under the flood vs {quiet_p99 * 1000:.0f} ms quiet"
    )
