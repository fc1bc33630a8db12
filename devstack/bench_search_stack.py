"""Search through the whole local stack (issue 22, docs/search.md): what a user sees.

Starts the local platform (devstack.stack.LocalStack: every function, Pub/Sub push, the
gateway, OpenSearch), then, in one run:

1. a corpus: ``--posts`` synthetic documents bulk-loaded straight into the stack's posts index
   (bench_search's generator), plus ``--real`` posts created through the gateway (so pages
   have posts to hydrate from the post store, as real results do);
2. freshness: posts created through the gateway (``POST /v1/posts``) at a steady ``--rate``,
   each polled through the gateway (``GET /v1/search/posts?q=#tag&sort=newest``) until found:
   created -> searchable p50/p99, the Pub/Sub push to the indexer and the engine's refresh
   included (goal p99 <= 2 s);
3. search latency p50/p99 for a word, a hashtag and a one-typo query, through the gateway
   (token check, the search function, the engine, hydration) beside the same queries at the
   engine (the adapter) measured in the same run: the ratio is what the path adds.

    python -m devstack.bench_search_stack [--posts 300000] [--real 60] [--rate 5] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from google.cloud import pubsub_v1

from devstack.authtools import SignedIn, sign_up
from devstack.bench_search import _pct, _posts, raw_bulk
from devstack.stack import LocalStack, Ports
from shared.adapters.opensearch_search import OpenSearchIndex, opensearch_client
from shared.domain import search as domain

QUERIES = {"word": "coffee morning", "hashtag": "#tag1", "typo": "peple mornin"}


def _user(stack: LocalStack, name: str) -> SignedIn:
    tag = uuid.uuid4().hex[:8]
    user = sign_up(stack.describe()["auth_emulator"], f"{name}-{tag}@kwetter.test", "bench-pw")
    r = requests.post(f"{stack.gateway_url}/v1/users", headers=user.headers, timeout=30,
                      json={"handle": f"{name}_{tag}", "display_name": name.title()})  # fmt: skip
    assert r.status_code == 201, r.text
    return user


def _post(stack: LocalStack, who: SignedIn, text: str) -> str:
    r = requests.post(f"{stack.gateway_url}/v1/posts", headers=who.headers, json={"text": text},
                      timeout=30)  # fmt: skip
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _search(stack: LocalStack, who: SignedIn, q: str, sort: str, limit: int = 20) -> list[str]:
    r = requests.get(f"{stack.gateway_url}/v1/search/posts", headers=who.headers, timeout=30,
                     params={"q": q, "sort": sort, "limit": str(limit)})  # fmt: skip
    assert r.status_code == 200, r.text
    return [str(i["id"]) for i in r.json()["items"]]


def freshness(
    stack: LocalStack, who: SignedIn, index: OpenSearchIndex, rate: float, seconds: float
) -> dict[str, Any]:
    """Posts created at ``rate``; each one timed hop by hop: the request (``POST /v1/posts``
    answered), published (a tap: a pull subscription of this run's own on ``post-events``
    receives its PostCreated), indexed (the engine's real-time GET finds the document: the
    Pub/Sub push to the indexer and its bulk write), searchable at the engine (after its
    refresh), and seen through the gateway (a poller asks every 100 ms for the run's tag,
    newest first)."""
    n = max(1, int(rate * seconds))
    tag = f"fresh{uuid.uuid4().hex[:6]}"
    started: dict[str, float] = {}
    answered: dict[str, float] = {}
    published: dict[str, float] = {}
    indexed: dict[str, float] = {}
    searchable: dict[str, float] = {}
    seen: dict[str, float] = {}
    done = threading.Event()
    client = opensearch_client(stack.opensearch_url)
    # every post of the run (at most a few hundred), newest first
    body = {"query": {"term": {"hashtags": tag}}, "size": 1000, "_source": False,
            "sort": [{"post_id": "desc"}]}  # fmt: skip

    slowest_call: dict[int, tuple[float, float]] = {}  # poller -> (seconds, at)

    def poll(found: Callable[[], list[str]], into: dict[str, float], wait_s: float) -> None:
        deadline = float("inf")
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            ids = found()
            now = time.perf_counter()
            if now - t0 > slowest_call.get(id(into), (0.0, 0.0))[0]:
                slowest_call[id(into)] = (now - t0, t0)
            for pid in ids:
                into.setdefault(pid, now)
            if done.is_set():
                deadline = min(deadline, now + 30)
                if len(into) >= len(started):
                    return
            time.sleep(wait_s)

    def pending_indexed() -> list[str]:
        todo = [p for p in list(started) if p not in indexed]
        if not todo:
            return []
        docs = client.mget(index=index.posts_index, body={"ids": todo}, _source=False)["docs"]
        return [d["_id"] for d in docs if d.get("found")]

    def engine_hits() -> list[str]:
        hits = client.search(index=index.posts_index, body=body)["hits"]["hits"]
        return [h["_id"] for h in hits]

    pollers = [
        # a page of 50: a lag of 10 s at 5 posts/s still shows every pending post
        (lambda: _search(stack, who, f"#{tag}", "newest", 50), seen, 0.1),
        (pending_indexed, indexed, 0.02),
        (engine_hits, searchable, 0.02),
    ]
    tap = _tap(stack, published)
    threads = [threading.Thread(target=poll, args=a, daemon=True) for a in pollers]
    for t in threads:
        t.start()
    t_next = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        pid = _post(stack, who, f"freshness probe {i} #{tag}")
        started[pid] = t0
        answered[pid] = time.perf_counter()
        t_next += 1.0 / rate
        time.sleep(max(0.0, t_next - time.perf_counter()))
    done.set()
    for t in threads:
        t.join(timeout=60)
    tap()
    lags = [(seen[p] - t0) * 1000 for p, t0 in started.items() if p in seen]
    out: dict[str, Any] = {
        "posts": n, "rate_per_s": rate, "p50_ms": round(_pct(lags, 50), 1),
        "p99_ms": round(_pct(lags, 99), 1), "max_ms": round(max(lags), 1),
        "never_found": n - len(lags),
    }  # fmt: skip
    # Each hop from the previous mark (posts missing a mark are left out of that hop).
    marks = [("request", started, answered), ("publish", answered, published),
             ("push + indexer", published, indexed),
             ("refresh", indexed, searchable), ("gateway poll", searchable, seen)]  # fmt: skip
    hops: dict[str, dict[str, float]] = {}
    for name, a, b in marks:
        d = [max(0.0, (b[p] - a[p]) * 1000) for p in started if p in a and p in b]
        if d:
            hops[name] = {"p50_ms": round(_pct(d, 50), 1), "p99_ms": round(_pct(d, 99), 1),
                          "max_ms": round(max(d), 1)}  # fmt: skip
    out["hops"] = hops
    slowest = sorted((p for p in started if p in seen), key=lambda p: seen[p] - started[p])[-5:]
    first = min(started.values())
    out["slowest_poll"] = {
        name: {"ms": round(slowest_call[id(b)][0] * 1000, 1),
               "at_s": round(slowest_call[id(b)][1] - first, 1)}
        for name, _, b in marks if id(b) in slowest_call
    }  # fmt: skip
    out["slowest"] = [
        {"at_s": round(started[p] - first, 1),
         **{name: round((b.get(p, float("nan")) - a.get(p, float("nan"))) * 1000, 1)
            for name, a, b in marks}}
        for p in reversed(slowest)
    ]  # fmt: skip
    return out


def _warm_up(
    stack: LocalStack, who: SignedIn, index: OpenSearchIndex, real: list[str], since: float
) -> float:
    """Wait until every one of ``real`` is indexed and a search through the gateway has been
    answered: the functions on the path start lazily (their first request builds the
    container), which a steady-state freshness figure must not include. Returns the seconds
    from ``since`` (before the first post) to that point, the cold path's cost."""
    t0 = time.perf_counter()
    client = opensearch_client(stack.opensearch_url)
    deadline = t0 + 120
    while time.perf_counter() < deadline:
        docs = client.mget(index=index.posts_index, body={"ids": real}, _source=False)["docs"]
        if all(d.get("found") for d in docs):
            break
        time.sleep(0.1)
    else:
        raise RuntimeError("the real posts were not indexed within 120 s")
    _search(stack, who, "#tag1", "newest")
    return time.perf_counter() - since


def _tap(stack: LocalStack, into: dict[str, float]) -> Callable[[], None]:
    """Note when each PostCreated reaches ``post-events`` (a pull subscription of its own, so
    the platform's consumers are not touched); returns the function that removes the tap."""
    sub = pubsub_v1.SubscriberClient()
    topic = f"projects/{stack.project_id}/topics/post-events"
    path = sub.subscription_path(stack.project_id, f"bench-tap-{uuid.uuid4().hex[:8]}")
    sub.create_subscription(request={"name": path, "topic": topic})

    def got(msg: Any) -> None:
        now = time.perf_counter()
        try:
            body = json.loads(msg.data)
        except ValueError:
            body = {}
        if body.get("type") == "PostCreated":
            into.setdefault(str(body.get("post_id")), now)
        msg.ack()

    future = sub.subscribe(path, got)

    def remove() -> None:
        future.cancel()
        sub.delete_subscription(request={"subscription": path})

    return remove


def latency(
    stack: LocalStack, who: SignedIn, index: OpenSearchIndex, repeat: int
) -> dict[str, dict[str, float]]:
    """Each query ``repeat`` times at the engine and through the gateway, interleaved (so
    the machine's drift hits both), newest first (the real posts are the newest: the page
    hydrates them, as a real result page would)."""
    out: dict[str, dict[str, float]] = {}
    for name, q in QUERIES.items():
        parsed = domain.parse_post_query(q, "newest")
        engine: list[float] = []
        gateway: list[float] = []
        shown: list[int] = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            index.search_posts(parsed, None, 20, None)
            engine.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            shown.append(len(_search(stack, who, q, "newest")))
            gateway.append((time.perf_counter() - t0) * 1000)
        out[name] = {
            "engine_p50_ms": round(_pct(engine, 50), 1),
            "engine_p99_ms": round(_pct(engine, 99), 1),
            "gateway_p50_ms": round(_pct(gateway, 50), 1),
            "gateway_p99_ms": round(_pct(gateway, 99), 1),
            "ratio_p50": round(_pct(gateway, 50) / max(_pct(engine, 50), 0.01), 2),
            "items_shown": round(statistics.mean(shown), 1),
        }  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--posts", type=int, default=300_000)
    ap.add_argument("--real", type=int, default=60)
    ap.add_argument("--rate", type=float, default=5.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the stack's folder (its logs)")
    args = ap.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="kwetter-bench-search-stack-"))
    stack = LocalStack(
        workdir, Ports.free(), "demo-kwetter-bench", persist=False, tick_seconds=1.0,
        # One benchmark user posts far more than a person may: its limits lifted, here only.
        extra_env={"POST_RATE_LIMIT": "100000", "BURST_POST_THRESHOLD": "1000",
                   **{f"LIMIT_{rule}{v}": "100000" for v in ("", "_UNVERIFIED")
                      for rule in ("POST_USER_MINUTE", "POST_USER_HOUR", "POST_ADDRESS_MINUTE")}},
    )  # fmt: skip
    try:
        print("starting the local stack ...", flush=True)
        stack.start(progress=True)
        who = _user(stack, "searcher")
        index = OpenSearchIndex(opensearch_client(stack.opensearch_url), "kwetter")
        index.ensure_index()
        print(f"bulk-loading {args.posts:,} synthetic posts into the stack's index ...", flush=True)
        rate = raw_bulk(index, _posts(args.posts, random.Random(22)))
        print(f"  {rate:,.0f} docs/s; {args.real} real posts through the gateway ...", flush=True)
        t0 = time.perf_counter()
        real = [
            _post(stack, who, f"coffee morning with people {i} #tag1") for i in range(args.real)
        ]
        warm = _warm_up(stack, who, index, real, since=t0)
        print(f"  the real posts searchable through the gateway {warm:.1f} s after the first"
              " was created (the indexer's and the search function's cold starts; freshness is"
              " measured after them)", flush=True)  # fmt: skip
        index.refresh()
        print(f"freshness: {args.rate:g} posts/s for {args.seconds:g} s ...", flush=True)
        fresh = freshness(stack, who, index, args.rate, args.seconds)
        print(
            f"  created -> found through the gateway: p50 {fresh['p50_ms']} ms, p99"
            f" {fresh['p99_ms']} ms, max {fresh['max_ms']} ms, {fresh['never_found']} never"
            " found (goal p99 <= 2,000 ms)",
            flush=True,
        )
        for name, h in fresh["hops"].items():
            print(
                f"    {name:15s} p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms, max {h['max_ms']} ms"
            )
        print(f"    slowest poll per mark: {fresh['slowest_poll']}")
        for row in fresh["slowest"]:
            print("    slow post: " + ", ".join(f"{k} {v} ms" for k, v in row.items()))
        print(f"latency: {args.repeat} of each query, engine and gateway interleaved ...")
        lat = latency(stack, who, index, args.repeat)
        for name, m in lat.items():
            print(
                f"  {name:8s} engine p50 {m['engine_p50_ms']} / p99 {m['engine_p99_ms']} ms;"
                f" gateway p50 {m['gateway_p50_ms']} / p99 {m['gateway_p99_ms']} ms"
                f" (x{m['ratio_p50']} at p50; {m['items_shown']} posts a page)",
                flush=True,
            )
        result = {"corpus": args.posts + args.real, "bulk_docs_per_s": round(rate),
                  "freshness": fresh, "latency": lat}  # fmt: skip
        print(json.dumps(result))
        if args.json is not None:
            args.json.write_text(json.dumps(result, indent=1))
    finally:
        stack.stop()
        if args.keep:
            print(f"the stack's logs: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
