"""Search benchmark (issue 22): index freshness, query latency, bulk (re)index rate, trend CPU.

Starts its own OpenSearch (the stack's 512 MB heap) and Redis on free ports, then, in one run:

1. raw bulk: synthetic post documents straight into OpenSearch's ``_bulk`` (1,000 a request):
   the engine's own ceiling on this machine;
2. reindex: the same number of posts through ``SearchIndexer.rebuild`` (what
   ``make replay ARGS='rebuild-search'`` runs) over an in-memory event log and post store, so
   the figure is the indexer's path (store lookup, facets, versioned bulk) without the Firestore
   emulator's reads; printed as a ratio of the raw rate;
3. search latency p50/p99 at the engine (the adapter's queries, the router's parsing skipped)
   for a word, a hashtag and a one-typo query, over everything indexed in 1 and 2;
4. freshness: posts handed to the indexer one at a time at a steady rate, each polled by a
   search until found: created -> searchable p50/p99 (Pub/Sub push delivery not included);
5. trend counters: CPU per post of ``RedisTrends.count`` (client process time, and the Redis
   server's own CPU from /proc), posts with two tags each.

    python -m devstack.bench_search [--posts 300000] [--rate 20] [--seconds 20] [--json f]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from devstack import services
from shared import events, ids
from shared.adapters.clients import redis_client
from shared.adapters.opensearch_search import CREATE_VERSION, OpenSearchIndex, opensearch_client
from shared.adapters.redis_trends import RedisTrends
from shared.domain import facets
from shared.domain import search as domain
from shared.domain.model import Post
from shared.domain.posts import PostEvent
from shared.usecases.search import SearchIndexer

WORDS = tuple(
    " ".join(
        [
            "the a to of and in is it you that for on with this was are be at have not",
            "but what all just so like get can we one time day people good new love now",
            "know see going think make today really want work back great first last need",
            "look right still never best game music coffee morning night weekend city river",
            "garden train rain sun summer winter friends team release update bug deploy",
            "search index shard cluster kitten pizza football election",
        ]
    ).split()
)
TAGS = [f"tag{i}" for i in range(500)] + ["kwetter", "news", "music", "football"]


def _text(rng: random.Random) -> str:
    n = rng.randint(6, 30)
    words = [WORDS[min(int(rng.paretovariate(1.1)) - 1, len(WORDS) - 1)] for _ in range(n)]
    words += [rng.choice(WORDS) for _ in range(3)]
    if rng.random() < 0.4:
        words.append("#" + TAGS[min(int(rng.paretovariate(1.0)) - 1, len(TAGS) - 1)])
    return " ".join(words)[:280]


class MemLog:
    """An event log and post store in memory (the benchmark's stand-in for Firestore)."""

    def __init__(self) -> None:
        self.posts: dict[int, Post] = {}
        self.log: list[PostEvent] = []

    def add(self, post: Post) -> events.PostCreated:
        self.posts[post.id] = post
        event = events.PostCreated(
            event_id=f"post-created-{post.id}", occurred_ms=post.created_ms,
            post_id=str(post.id), author_id=post.author_id, text=post.text,
            created_ms=post.created_ms, hashtags=list(post.hashtags),
        )  # fmt: skip
        self.log.append(event)
        return event

    def get_posts(self, ids_: Sequence[int]) -> dict[int, Post]:
        return {i: self.posts[i] for i in ids_ if i in self.posts}

    def list_user_posts(self, author_id: str, limit: int, before: int | None = None) -> list[Post]:
        return []

    def count_events(self, since_ms: int | None = None, until_ms: int | None = None) -> int:
        return len(self.log)

    def iter_events(
        self, since_ms: int | None = None, until_ms: int | None = None, page_size: int = 500
    ) -> Iterator[PostEvent]:
        return iter(self.log)


def _posts(n: int, rng: random.Random) -> list[Post]:
    out = []
    for _ in range(n):
        text = _text(rng)
        out.append(Post(ids.new_id(), f"u{rng.randrange(20_000)}", text, ids.now_ms(),
                        hashtags=tuple(facets.hashtags(text))))  # fmt: skip
    return out


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_bulk(index: OpenSearchIndex, posts: list[Post]) -> float:
    client = index._os
    t0 = time.perf_counter()
    for start in range(0, len(posts), 1000):
        lines: list[dict[str, Any]] = []
        for p in posts[start : start + 1000]:
            lines.append(
                {
                    "index": {
                        "_index": index.posts_index,
                        "_id": str(p.id),
                        "version": CREATE_VERSION,
                        "version_type": "external_gte",
                    }
                }
            )
            lines.append({"post_id": p.id, "author_id": p.author_id, "text": p.text,
                          "hashtags": list(p.hashtags), "mentions": [],
                          "created_ms": p.created_ms, "deleted": False})  # fmt: skip
        resp = client.bulk(body=lines)
        assert not resp.get("errors"), "raw bulk failed"
    return len(posts) / (time.perf_counter() - t0)


def reindex(index: OpenSearchIndex, posts: list[Post]) -> float:
    log = MemLog()
    for p in posts:
        log.add(p)
    indexer = SearchIndexer(index, log)
    t0 = time.perf_counter()
    done = list(indexer.rebuild(log, batch_size=1000))
    assert done[-1] == len(posts)
    return len(posts) / (time.perf_counter() - t0)


def latency(index: OpenSearchIndex, repeat: int) -> dict[str, dict[str, float]]:
    queries = {
        "word": "coffee morning",
        "hashtag": "#tag1",
        "typo": "peple mornin",  # people morning, one edit each
        "phrase": '"good morning"',
    }
    out = {}
    for name, q in queries.items():
        parsed = domain.parse_post_query(q, "relevance")
        for _ in range(5):  # warm the caches and the JIT
            index.search_posts(parsed, None, 20, None)
        times = []
        hits = 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            page = index.search_posts(parsed, None, 20, None)
            times.append((time.perf_counter() - t0) * 1000)
            hits = len(page.ids)
        out[name] = {"p50_ms": _pct(times, 50), "p99_ms": _pct(times, 99), "hits": hits}
    return out


def freshness(index: OpenSearchIndex, rate: float, seconds: float) -> dict[str, float]:
    """Posts handed to the indexer at ``rate``; a poller thread asks every 50 ms for the newest
    posts of the run's own tag (one query for all pending posts) and notes when each first
    shows: created -> searchable, independent of how many are pending."""
    log = MemLog()
    indexer = SearchIndexer(index, log)
    rng = random.Random(7)
    n = int(rate * seconds)
    started: dict[int, float] = {}
    seen: dict[int, float] = {}
    done = threading.Event()
    query = domain.parse_post_query("#freshbench", "newest")

    def poll() -> None:
        while not done.is_set() or len(seen) < len(started):
            page = index.search_posts(query, None, 50, None)
            now = time.perf_counter()
            for pid in page.ids:
                seen.setdefault(pid, now)
            if done.is_set() and time.perf_counter() > deadline[0]:
                return
            time.sleep(0.05)

    deadline = [float("inf")]
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    t_next = time.perf_counter()
    for _ in range(n):
        post = Post(ids.new_id(), "fresh", f"{_text(rng)} #freshbench", ids.now_ms(),
                    hashtags=("freshbench",))  # fmt: skip
        started[post.id] = time.perf_counter()
        indexer.handle(log.add(post))
        t_next += 1.0 / rate
        time.sleep(max(0.0, t_next - time.perf_counter()))
    deadline[0] = time.perf_counter() + 30
    done.set()
    poller.join()
    lags = [(seen[p] - t0) * 1000 for p, t0 in started.items() if p in seen]
    return {"posts": n, "rate_per_s": rate, "p50_ms": _pct(lags, 50), "p99_ms": _pct(lags, 99),
            "max_ms": max(lags), "never_found": n - len(lags)}  # fmt: skip


def trend_cpu(trends: RedisTrends, redis_pid: int, n: int) -> dict[str, float]:
    rng = random.Random(3)
    now = ids.now_ms()
    uses = [(f"u{rng.randrange(50_000)}", now - rng.randrange(3_600_000),
             [rng.choice(TAGS), rng.choice(TAGS)]) for _ in range(n)]  # fmt: skip
    server0, client0, wall0 = _proc_cpu_s(redis_pid), time.process_time(), time.perf_counter()
    for start in range(0, n, 500):
        trends.count(uses[start : start + 500])
    client = time.process_time() - client0
    server = _proc_cpu_s(redis_pid) - server0
    wall = time.perf_counter() - wall0
    one0 = time.process_time()
    for u in uses[:500]:  # one post per call, as the consumer does it
        trends.count([u])
    single = (time.process_time() - one0) / 500
    return {"posts": n, "client_cpu_us_per_post_batched": client / n * 1e6,
            "redis_cpu_us_per_post": server / n * 1e6, "wall_us_per_post": wall / n * 1e6,
            "client_cpu_us_per_post_one_per_call": single * 1e6}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=300_000, help="per bulk phase (x2 indexed)")
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="kwetter-bench-search-"))
    os_svc = services.opensearch(services.free_port(), services.free_port(), work / "opensearch")
    rport = services.free_port()
    redis_svc = services.redis(rport, work / "redis")
    t0 = time.monotonic()
    os_svc.start(timeout=180)
    print(f"OpenSearch green in {time.monotonic() - t0:.1f}s")
    redis_svc.start()
    try:
        url = f"http://127.0.0.1:{_http_port(os_svc)}"
        # bulk requests of 1,000 under load: more time than a search gets
        index = OpenSearchIndex(opensearch_client(url, timeout_s=60), "bench")
        index.ensure_index()
        rng = random.Random(22)
        print(f"generating {2 * args.posts} posts ...", flush=True)
        first, second = _posts(args.posts, rng), _posts(args.posts, rng)
        raw_bulk(index, _posts(5000, rng))  # warm-up, not counted: the JVM compiles first
        raw = raw_bulk(index, first)
        print(f"raw bulk      {raw:8.0f} docs/s  ({args.posts} docs)", flush=True)
        via = reindex(index, second)
        print(f"reindex       {via:8.0f} docs/s  ({args.posts} posts; {via / raw:.2f}x raw)")
        index.refresh()
        total = index.count_live()
        print(f"indexed       {total} live posts")
        lat = latency(index, args.repeat)
        for name, v in lat.items():
            print(f"search {name:<8} p50 {v['p50_ms']:6.1f} ms  p99 {v['p99_ms']:6.1f} ms"
                  f"  ({v['hits']:.0f} hits in the first page)")  # fmt: skip
        fresh = freshness(index, args.rate, args.seconds)
        print(
            f"freshness     p50 {fresh['p50_ms']:6.0f} ms  p99 {fresh['p99_ms']:6.0f} ms"
            f"  max {fresh['max_ms']:.0f} ms at {args.rate:.0f} posts/s"
            f" ({fresh['posts']:.0f} posts, {fresh['never_found']:.0f} never found)"
        )
        r = redis_client(f"redis://127.0.0.1:{rport}/0")
        assert redis_svc.proc is not None
        tr = trend_cpu(RedisTrends(r), redis_svc.proc.pid, 20_000)
        print(f"trend counts  client {tr['client_cpu_us_per_post_batched']:.1f} us/post batched"
              f" ({tr['client_cpu_us_per_post_one_per_call']:.0f} us one per call),"
              f" redis {tr['redis_cpu_us_per_post']:.1f} us/post")  # fmt: skip
        rss_kb = _rss_kb(os_svc)
        print(f"OpenSearch RSS {rss_kb / 1024:.0f} MB")
        if args.json:
            args.json.write_text(json.dumps({
                "raw_bulk_docs_per_s": raw, "reindex_docs_per_s": via, "live_posts": total,
                "latency": lat, "freshness": fresh, "trends": tr, "opensearch_rss_kb": rss_kb,
            }, indent=2))  # fmt: skip
    finally:
        os_svc.stop()
        redis_svc.stop()
    return 0


def _http_port(svc: services.Service) -> int:
    conf = (Path(svc.workdir) / "config" / "opensearch.yml").read_text()
    return int(next(ln.split(":")[1] for ln in conf.splitlines() if ln.startswith("http.port")))


def _rss_kb(svc: services.Service) -> int:
    """The JVM's RSS (the child of setpriv, which execs: the same pid)."""
    assert svc.proc is not None
    for line in Path(f"/proc/{svc.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
