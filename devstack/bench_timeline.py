"""Timeline engine benchmark (`make bench`): seed burst, push throughput, read latency.

    python -m devstack.bench_timeline [--scale 1.0] [--seed 7] [--plot docs/bench.png]
        [--e2e [--e2e-rates 200,100,75,50] [--e2e-plot docs/benchmarks_e2e.png]]

Starts its own redis-server (devstack.services, listpack settings as in production)
unless REDIS_URL is set — then it uses that server and refuses to FLUSHDB it without --flush.
The follow graph lives in memory here: the subject is the Redis engine, and graph lookups are
the same ones the planner makes per post (follower_count, follower pages).
Prints ratios against baselines measured in the same run, on the same server; exits non-zero
when the seed verification finds any difference.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

import redis as redis_lib

from devstack import services
from shared import ids
from shared.adapters import redis_keys as keys
from shared.adapters.redis_cards import RedisProfileCards
from shared.adapters.redis_engagement import RedisEngagement
from shared.adapters.redis_silencing import RedisSilencing, RedisSuspensions
from shared.adapters.redis_timeline import RedisTimelines
from shared.config import Settings
from shared.domain import safety
from shared.domain.conversations import Kind, Switch
from shared.domain.fanout import Mode, trims
from shared.domain.model import Post, User
from shared.domain.timeline import TimelinePost
from shared.ports import EngagementRecords, SilenceGraph, SuspensionGraph, ThreadStore
from shared.usecases.engagement import EngagementService
from shared.usecases.fanout import FanoutPlanner
from shared.usecases.safety import SilencingService, Suspensions
from shared.usecases.timeline import TimelineReader

T0 = 1_770_000_000_000

# The writer before issue 19's pieces (the baseline of ``Bench.pieces``): one zset per home
# timeline, a ZADD per recipient and, on one post in ``timeline_trim_every``, a trim to the cap.
_SINGLE_ZSET_WRITE = """
local op, pid, score = ARGV[1], ARGV[2], ARGV[3]
local keep = -tonumber(ARGV[4]) - 1
local call = redis.call
if keep == -1 then
  for i = 1, #KEYS do call('ZADD', KEYS[i], score, pid) end
else
  for i = 1, #KEYS do
    if call('ZADD', KEYS[i], score, pid) == 1 then call('ZREMRANGEBYRANK', KEYS[i], 0, keep) end
  end
end
return #KEYS
"""


class BenchGraph:
    """An in-memory follow graph (FollowerSource)."""

    def __init__(self) -> None:
        self.followers: dict[str, list[str]] = defaultdict(list)
        self.following: dict[str, set[str]] = defaultdict(set)
        self.extra_followers: dict[str, int] = {}  # stand-ins for celebrities' huge audiences

    def follow(self, a: str, b: str) -> None:
        if b not in self.following[a]:
            self.following[a].add(b)
            self.followers[b].append(a)

    def follower_count(self, user_id: str) -> int:
        return len(self.followers[user_id]) + self.extra_followers.get(user_id, 0)

    def iter_follower_pages(self, user_id: str, page_size: int = 1000) -> Iterator[list[str]]:
        # the stand-in audience pages too (ids made up as they are read), as in the real graph
        # where the pages and the count agree
        extra = self.extra_followers.get(user_id, 0)
        f = self.followers[user_id]
        for i in range(0, len(f) + extra, page_size):
            page = f[i : i + page_size]
            if extra and len(page) < page_size:
                fill = min(page_size - len(page), len(f) + extra - i - len(page))
                page += [f"~{user_id}-{i + len(page) + j}" for j in range(fill)]
            yield page

    def following_ids(self, user_id: str) -> list[str]:
        return sorted(self.following[user_id])

    def followers_among(self, uid: str, ids: Iterable[str]) -> set[str]:
        return {i for i in ids if uid in self.following[i]}

    def get_users(self, uids: Iterable[str]) -> dict[str, User]:
        return {u: User(id=u, handle=u, display_name=u) for u in uids}


class NoStore:
    """The post store is not on the benchmark's path: every body is in the Redis cache."""

    def get_posts(self, post_ids: Sequence[int]) -> dict[int, Post]:
        raise AssertionError(f"benchmark read missed the post cache for {len(post_ids)} posts")

    def list_user_posts(self, author_id: str, limit: int, before: int | None = None) -> list[Post]:
        return []


class NullPublisher:
    def publish(self, topic: str, event: Any) -> None:
        raise AssertionError("the benchmark drives the writer directly")


class NoRecords:
    """The like records are not on the benchmark's path: every post's counts are complete."""

    def switches_of_post(self, post_id: int) -> list[Switch]:
        raise AssertionError("benchmark read found incomplete counts")


class NoThreads:
    def reply_ids(self, post_id: int) -> list[tuple[int, bool]]:
        raise AssertionError("benchmark read found incomplete counts")


class NoGraph:
    """The silencing graph stand-in: the relations are in Redis, so it is never asked."""

    def relations(self, uid: str) -> dict[str, str]:
        raise AssertionError("the graph was asked: the Redis relations were missing")


class NoSuspensions:
    def suspended_among(self, ids: Iterable[str]) -> set[str]:
        return set()  # nobody suspended; asked once per author, then cached in Redis


class IdMint:
    """Ids at chosen milliseconds (the seed replays a 30 s burst in virtual time)."""

    def __init__(self) -> None:
        self.seq: dict[int, int] = defaultdict(int)

    def at(self, ms: int) -> int:
        n = self.seq[ms]
        self.seq[ms] = n + 1
        return ((ms - ids.KWETTER_EPOCH_MS) << 22) | n


@dataclasses.dataclass
class Meter:
    """Wall time and CPU time of one phase: this process's and the Redis server's.

    The machine is shared (other work runs beside the benchmark), so wall times and even
    same-run wall ratios move with the load; CPU seconds spent per entry do not, and
    ``client + server`` CPU bounds what the phase would take alone on the machine.
    """

    r: redis_lib.Redis[bytes]
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    extra: dict[str, int] = dataclasses.field(default_factory=dict)

    def __enter__(self) -> Meter:
        self._t = (time.perf_counter(), time.process_time(), server_cpu(self.r))
        return self

    def __exit__(self, *_: Any) -> None:
        t, c, sv = self._t
        self.wall = time.perf_counter() - t
        self.client_cpu = time.process_time() - c
        self.server_cpu = server_cpu(self.r) - sv


def server_cpu(r: redis_lib.Redis[bytes]) -> float:
    info = r.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


@dataclasses.dataclass
class Bench:
    r: redis_lib.Redis[bytes]
    port: int
    settings: Settings
    results: dict[str, Any] = dataclasses.field(default_factory=dict)

    def fresh(self, **overrides: Any) -> RedisTimelines:
        self.r.flushdb()
        return RedisTimelines(self.r, dataclasses.replace(self.settings, **overrides))

    # ---- 1. seed burst -----------------------------------------------------------------

    def seed_burst(self, scale: float, seed: int) -> bool:
        rng = random.Random(seed)
        n_users = max(10, int(3000 * scale))
        users = [f"u{i}" for i in range(n_users)]
        graph = BenchGraph()
        for u in users:
            for f in rng.sample(users, min(n_users - 1, rng.randint(1, 300)) + 1):
                if f != u and graph.follower_count(u) < 300:
                    graph.follow(f, u)
        mint = IdMint()
        posts: list[TimelinePost] = []
        by_author: dict[str, list[int]] = defaultdict(list)
        for u in users:
            for _ in range(rng.randint(50, 150)):
                pid = mint.at(T0 + rng.randrange(30_000))
                posts.append(TimelinePost(pid, u, f"seed post by {u}", ids.timestamp_ms(pid)))
                by_author[u].append(pid)
        posts.sort(key=lambda p: p.post_id)  # arrival order = creation order
        logical = sum(graph.follower_count(p.author_id) for p in posts)
        print(f"seed: {n_users} users, {len(posts):,} posts, {logical:,} logical entries")

        tl = self.fresh()
        planner = FanoutPlanner(tl, graph, NullPublisher(), tl.s, NoStore())
        for i in range(0, n_users, 1000):  # everyone read recently: nobody is skipped
            pipe = self.r.pipeline(transaction=False)
            for u in users[i : i + 1000]:
                pipe.set(keys.active(u), b"1", ex=tl.act_ttl)
            pipe.execute()

        pushed_posts = written = 0
        with Meter(self.r) as m:
            for i in range(0, len(posts), 2000):
                batches = planner.plan_posts(posts[i : i + 2000])
                pushed_posts += len({b.post_id for b in batches})
                written += tl.apply_batches((b.op, int(b.post_id), b.recipients) for b in batches)
        wall = m.wall
        print(
            f"  absorbed in {wall:.2f} s (goal <= 30 s): {logical / wall:,.0f} logical entries/s; "
            f"{pushed_posts:,} posts pushed ({written:,} timeline writes), "
            f"{len(posts) - pushed_posts:,} pulled\n"
            f"  CPU: client {m.client_cpu:.2f} s + redis {m.server_cpu:.2f} s = "
            f"{m.client_cpu + m.server_cpu:.2f} s (what it needs alone on the machine, at most)"
        )

        # Verification: every user's first page against an expectation computed from the raw
        # data alone (followees' posts and their own, newest 20), with no engine code involved.
        reader = TimelineReader(tl, graph, NoStore(), RedisProfileCards(self.r))
        bad = 0
        t = time.perf_counter()
        lat: list[float] = []
        for u in users:
            mine = list(by_author[u])
            for a in graph.following[u]:
                mine += by_author[a]
            expected = sorted(mine, reverse=True)[:20]
            t1 = time.perf_counter()
            got = [p.id for p in reader.home(u, 20).posts]
            lat.append(time.perf_counter() - t1)
            if got != expected:
                bad += 1
                if bad <= 3:
                    print(f"  MISMATCH for {u}: got {got[:5]}... expected {expected[:5]}...")
        print(
            f"  verified {n_users} first pages in {time.perf_counter() - t:.1f} s: "
            f"{'all identical' if not bad else f'{bad} DIFFER'}; read p50 "
            f"{_pct(lat, 0.5) * 1e3:.2f} ms p99 {_pct(lat, 0.99) * 1e3:.2f} ms "
            f"(each merges ~{statistics.mean(len(graph.following[u]) for u in users):.0f} "
            "burst authors by pull)"
        )
        self.results["seed"] = {
            "users": n_users, "posts": len(posts), "logical_entries": logical,
            "wall_s": wall, "logical_entries_per_s": logical / wall,
            "client_cpu_s": m.client_cpu, "server_cpu_s": m.server_cpu,
            "pushed_posts": pushed_posts, "timeline_writes": written,
            "verified_pages": n_users, "mismatches": bad,
            "verify_read_p50_ms": _pct(lat, 0.5) * 1e3, "verify_read_p99_ms": _pct(lat, 0.99) * 1e3,
        }  # fmt: skip
        return bad == 0

    # ---- 2. push throughput vs redis-benchmark ------------------------------------------

    def _push_run(
        self, readers: list[str], n_posts: int, prefill: int, trim_every: int, young: bool = True
    ) -> tuple[Meter, list[tuple[str, int, list[str]]]]:
        """Push ``n_posts`` posts to 1000 random readers each; timelines pre-filled with
        ``prefill`` older entries (the cap: every insert evicts, as in steady state). Young
        posts (minted now, a millisecond apart: a fan-out seconds after the post, the usual
        case) or late ones (one a minute, hours ago: the writer checks each head first)."""
        tl = self.fresh(timeline_trim_every=trim_every)
        pipe = self.r.pipeline(transaction=False)
        old = IdMint()
        for u in readers:
            pipe.set(keys.active(u), b"1", ex=tl.act_ttl)
        pipe.execute()
        for u in readers if prefill else ():  # laid out in pieces, as a regeneration does
            pids = [old.at(T0 - 86_400_000 + k * 1000) for k in range(prefill)]
            tl.store_home(u, [(ids.timestamp_ms(p), p) for p in reversed(pids)])
        rng = random.Random(1)
        mint = IdMint()
        work = []
        now = int(time.time() * 1000)
        for i in range(n_posts):
            pid = mint.at(now + i if young else T0 + i * 60_000)
            work.append(("add", pid, rng.sample(readers, 1000)))
        # Two connections, as two writer instances would: one packs while Redis runs the other.
        chunks = [work[i : i + 16] for i in range(0, len(work), 16)]
        with Meter(self.r) as m, ThreadPoolExecutor(2) as pool:
            list(pool.map(tl.apply_batches, chunks))
        if prefill:  # a head's spill trims to the cap: at most 88 over between spills
            over = max(tl.home_count(u) for u in readers) - tl.cap
            if over > 88:
                raise SystemExit(f"a timeline is {over} over the cap (spills trim at 88)")
            m.extra["max_over_cap"] = over
        return m, work

    def push_throughput(self, scale: float) -> None:
        n_readers = max(1000, int(20_000 * scale))
        n_posts = max(50, int(400 * scale))
        entries = 1000 * n_posts
        readers = [f"r{i}" for i in range(n_readers)]
        m, work = self._push_run(readers, n_posts, 0, self.settings.timeline_trim_every)
        ours = entries / m.wall
        # The planner's share of a push, per recipient: the activity filter (one MGET a page).
        tl = RedisTimelines(self.r, self.settings)
        with Meter(self.r) as fm:
            for _, _, recipients in work:
                tl.active_among(recipients)
        lm, _ = self._push_run(readers, n_posts, 0, self.settings.timeline_trim_every, False)
        ceiling, zm = self._redis_benchmark_zadd(n_readers, entries)
        # Steady state: full timelines (every insert evicts; --only pieces compares encodings).
        full, cap = readers[: max(200, n_readers // 10)], self.settings.timeline_cap
        n_full = max(20, n_posts // 4)
        fm_bulk, _ = self._push_run(full, n_full, cap, self.settings.timeline_trim_every)
        full_bulk = 1000 * n_full / fm_bulk.wall
        self.r.flushdb()
        pipe = self.r.pipeline(transaction=False)
        for k in range(len(full)):  # redis-benchmark's keys, as full as ours
            pipe.zadd(f"bench:tl:{k:012d}", {str(10**18 + k * 10**6 + j): j for j in range(cap)})
        pipe.execute()
        full_ceiling, _ = self._redis_benchmark_zadd(len(full), 1000 * n_full)
        self.r.flushdb()
        filt = (fm.client_cpu + fm.server_cpu) / entries * 1e6
        cpu_ours = (m.client_cpu + m.server_cpu) / entries * 1e6
        cpu_zadd = (zm.client_cpu + zm.server_cpu) / entries * 1e6
        srv_ours, srv_zadd = m.server_cpu / entries * 1e6, zm.server_cpu / entries * 1e6
        cli_ours = m.client_cpu / entries * 1e6
        srv_late, cli_late = lm.server_cpu / entries * 1e6, lm.client_cpu / entries * 1e6
        every = self.settings.timeline_trim_every
        print(
            f"push writer: {ours:,.0f} entries/s ({n_posts} batches x 1000 recipients, "
            f"heads spill into pieces); redis-benchmark -P 64 ZADD ceiling {ceiling:,.0f}/s; "
            f"ratio {ours / ceiling:.2f}x (goal >= 0.8x)\n"
            f"  CPU per entry: redis {srv_ours:.2f} us + client {cli_ours:.2f} us"
            f" vs per ZADD: redis {srv_zadd:.2f} us + redis-benchmark "
            f"{zm.client_cpu / entries * 1e6:.2f} us; CPU ratio {cpu_zadd / cpu_ours:.2f}x, "
            f"redis-only {srv_zadd / srv_ours:.2f}x\n"
            f"  late posts (older than FRESH_MS: each head checked first): "
            f"{entries / lm.wall:,.0f} entries/s, CPU per entry redis {srv_late:.2f} us + "
            f"client {cli_late:.2f} us; CPU ratio {cpu_zadd / (srv_late + cli_late):.2f}x\n"
            f"  + planner's activity filter {filt:.2f} us CPU per recipient "
            f"({fm.server_cpu / entries * 1e6:.2f} us redis): writer + filter CPU ratio "
            f"{cpu_zadd / (cpu_ours + filt):.2f}x\n"
            f"  full timelines ({len(full)} readers at the cap {cap}, every insert evicts): "
            f"{full_bulk:,.0f} entries/s, at most {fm_bulk.extra['max_over_cap']} over the "
            f"cap; redis-benchmark -P 64 ZADD "
            f"into sets as full {full_ceiling:,.0f}/s; ratio {full_bulk / full_ceiling:.2f}x"
        )
        self.results["push"] = {
            "writer_entries_per_s": ours, "zadd_ceiling_per_s": ceiling, "ratio": ours / ceiling,
            "batches": n_posts, "recipients_per_batch": 1000, "trim_every": every,
            "server_cpu_us_per_entry": srv_ours, "client_cpu_us_per_entry":
            m.client_cpu / entries * 1e6, "server_cpu_us_per_zadd": srv_zadd,
            "bench_client_cpu_us_per_zadd": zm.client_cpu / entries * 1e6,
            "cpu_ratio": cpu_zadd / cpu_ours, "server_cpu_ratio": srv_zadd / srv_ours,
            "late_server_cpu_us_per_entry": srv_late, "late_client_cpu_us_per_entry": cli_late,
            "late_entries_per_s": entries / lm.wall,
            "filter_cpu_us_per_recipient": filt,
            "cpu_ratio_with_filter": cpu_zadd / (cpu_ours + filt),
            "full_readers": len(full), "full_bulk_entries_per_s": full_bulk,
            "full_zadd_ceiling_per_s": full_ceiling,
            "full_ratio": full_bulk / full_ceiling,
            "full_bulk_max_over_cap": fm_bulk.extra["max_over_cap"],
        }  # fmt: skip

    def pieces(self, scale: float) -> None:
        """Issue 19: bytes/entry at 800 entries and Redis CPU per insert into full timelines,
        one run: today's single zset (the writer as it was: ZADD, and on one post in 8 a trim
        to the cap) with the listpack limit raised to 1024 and at the server's default 128
        (a skiplist: what Memorystore gives), beside the pieces at the default."""
        # every timeline takes ~n_posts / 2 inserts: its head spills (every ~80) a few times
        n_readers, n_posts = max(200, int(2000 * scale)), max(200, int(400 * scale))
        cap, every = self.settings.timeline_cap, self.settings.timeline_trim_every
        readers = [f"r{i}" for i in range(n_readers)]
        old_write = self.r.register_script(_SINGLE_ZSET_WRITE)
        runs: dict[str, dict[str, Any]] = {}
        default = self.r.config_get("zset-max-listpack-entries")["zset-max-listpack-entries"]
        try:
            for name, limit in (("single zset, listpack limit 1024", 1024),
                                ("single zset, default limit (skiplist)", 128),
                                ("pieces, default limit", 128)):  # fmt: skip
                self.r.config_set("zset-max-listpack-entries", limit)
                tl = self.fresh()
                old = IdMint()
                pipe = self.r.pipeline(transaction=False)
                for u in readers:
                    pipe.set(keys.active(u), b"1", ex=tl.act_ttl)
                    pids = [old.at(T0 - 86_400_000 + k * 1000) for k in range(cap)]
                    if name.startswith("single"):
                        pipe.zadd(keys.home(u), {str(p): ids.timestamp_ms(p) for p in pids})
                    else:
                        entries = [(ids.timestamp_ms(p), p) for p in reversed(pids)]
                        tl.store_home(u, entries)
                pipe.execute()
                sample = readers[:20]

                def per_entry(us: list[str], tl: RedisTimelines = tl) -> float:
                    used = sum(
                        int(self.r.memory_usage(k) or 0) for u in us for k in tl.home_keys(u)
                    )
                    return used / sum(tl.home_count(u) for u in us)

                at_cap = per_entry(sample)
                rng, mint = random.Random(1), IdMint()
                work = [
                    ("add", mint.at(T0 + i * 60_000), rng.sample(readers, min(1000, n_readers)))
                    for i in range(n_posts)
                ]
                with Meter(self.r) as m:
                    if name.startswith("single"):
                        for _, pid, rs in work:
                            trim = cap if trims(pid, every) else 0
                            args = ["add", pid, ids.timestamp_ms(pid), trim]
                            old_write(keys=keys.homes(rs), args=args)
                    else:
                        for i in range(0, len(work), 16):
                            tl.apply_batches(work[i : i + 16])
                n = sum(len(rs) for _, _, rs in work)
                encs = sorted({e for u in sample for e in tl.home_encodings(u)})
                runs[name] = {
                    "bytes_per_entry_at_cap": at_cap, "bytes_per_entry_after": per_entry(sample),
                    "keys_per_timeline": len(tl.home_keys(sample[0])), "encodings": encs,
                    "server_cpu_us_per_entry": m.server_cpu / n * 1e6,
                    "client_cpu_us_per_entry": m.client_cpu / n * 1e6, "entries": n,
                }  # fmt: skip
        finally:
            self.r.config_set("zset-max-listpack-entries", default)
            self.r.flushdb()
        base = runs["single zset, listpack limit 1024"]
        print(f"timeline encodings ({n_readers} full timelines of {cap}, {n_posts} posts pushed "
              f"to {min(1000, n_readers)} of them each):")  # fmt: skip
        for name, v in runs.items():
            print(
                f"  {name:40s} {v['bytes_per_entry_at_cap']:6.1f} B/entry at {cap} "
                f"({v['bytes_per_entry_after']:.1f} after the pushes; {v['keys_per_timeline']} "
                f"key(s), {'/'.join(v['encodings'])}) "
                f"x{v['bytes_per_entry_at_cap'] / base['bytes_per_entry_at_cap']:.2f}; "
                f"insert into a full timeline: redis {v['server_cpu_us_per_entry']:.2f} us "
                f"x{v['server_cpu_us_per_entry'] / base['server_cpu_us_per_entry']:.2f}, "
                f"client {v['client_cpu_us_per_entry']:.2f} us CPU per entry"
            )
        self.results["pieces"] = runs

    def _redis_benchmark_zadd(self, keyspace: int, n: int) -> tuple[float, Meter]:
        exe = shutil.which("redis-benchmark")
        if exe is None:
            raise SystemExit("redis-benchmark is missing (Debian package redis-tools)")
        cmd = [
            exe, "-h", "127.0.0.1", "-p", str(self.port), "-P", "64", "-n", str(n),
            "-r", str(keyspace), "-q", "--csv",
            "ZADD", "bench:tl:__rand_int__", "1770000000000", "__rand_int__",
        ]  # fmt: skip
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        with Meter(self.r) as m:
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        m.client_cpu = after.ru_utime + after.ru_stime - ru.ru_utime - ru.ru_stime
        # CSV: "test","rps",...
        line = [ln for ln in out.splitlines() if ln and not ln.startswith('"test"')][-1]
        return float(line.split(",")[1].strip('"')), m

    # ---- 3. read latency ----------------------------------------------------------------

    def _home_workload(
        self, scale: float, repost_share: float = 0.0
    ) -> tuple[RedisTimelines, BenchGraph, list[str], list[TimelinePost],
               list[tuple[int, int, str]], random.Random]:  # fmt: skip
        """Readers of 300 followees (50 pulled), 16 posts each, planned and written by the
        engine's own paths; with ``repost_share`` that share of reposts."""
        n_readers = max(20, int(200 * scale))
        tl = self.fresh(pull_follower_threshold=10_000)
        graph = BenchGraph()
        push_authors = [f"p{i}" for i in range(250)]
        pull_authors = [f"c{i}" for i in range(50)]
        for c in pull_authors:
            graph.extra_followers[c] = 1_000_000
        readers = [f"r{i}" for i in range(n_readers)]
        for r in readers:
            tl.touch(r)
            for a in push_authors + pull_authors:
                graph.follow(r, a)
        planner = FanoutPlanner(tl, graph, NullPublisher(), tl.s, NoStore())
        mint = IdMint()
        posts = []
        rng = random.Random(3)
        for k in range(16):  # 16 posts each, a minute apart: nobody bursts
            for a in push_authors + pull_authors:
                pid = mint.at(T0 + k * 60_000 + rng.randrange(60_000))
                posts.append(
                    TimelinePost(pid, a, "x" * rng.randint(20, 200), ids.timestamp_ms(pid))
                )
        posts.sort(key=lambda p: p.post_id)
        reposts = _repost_mix(posts, push_authors + pull_authors, repost_share, rng)
        done = 0
        for ms, pid, reposter in [*reposts, (1 << 62, 0, "")]:
            upto = done
            while upto < len(posts) and ids.timestamp_ms(posts[upto].post_id) <= ms:
                upto += 1
            for i in range(done, upto, 2000):
                b = planner.plan_posts(posts[i : min(upto, i + 2000)])
                tl.apply_batches((x.op, int(x.post_id), x.recipients) for x in b)
            done = upto
            if reposter:
                for x in planner.plan_repost(pid, reposter, ms):
                    assert x.repost_of is not None
                    tl.apply_repost_batch(x.op, int(x.post_id), int(x.repost_of), x.recipients)
        modes = self.r.mget([keys.post_mode(p.post_id) for p in posts])
        assert {m for m in modes} == {Mode.PUSH.value.encode(), Mode.PULL.value.encode()}
        return tl, graph, readers, posts, reposts, rng

    def read_latency(self, scale: float, repost_share: float = 0.0) -> None:
        """Home reads (300 followees, 50 of them pulled). With ``repost_share`` > 0, that share
        of the events are reposts (of posts of the last 10 minutes, by push and pull authors
        alike, fanned out and de-duplicated by the engine's own paths): the repost-mix case,
        measured in the same run as the plain case it is compared with."""
        tl, graph, readers, posts, reposts, rng = self._home_workload(scale, repost_share)
        # Baseline: the page as it was before engagement counts (no HMGET per post).
        tl.hydrate_engagement = False
        base_reader = TimelineReader(tl, graph, NoStore(), RedisProfileCards(self.r))
        base_lat, mb, _ = self._reads(base_reader, readers)
        # With counts: every post liked by a few readers and reposted by one; the page reads
        # each post's counts and the reader's own flags in the same pipeline as its bodies.
        counters = RedisEngagement(self.r)
        for p in posts:
            likers = rng.sample(readers, 3)
            counters.rebuild(p.post_id, [
                *(Switch(Kind.LIKE, p.post_id, u, 1, True) for u in likers),
                Switch(Kind.REPOST, p.post_id, likers[0], 1, True),
            ])  # fmt: skip
        tl.hydrate_engagement = True
        # Stand-ins that would fail loudly: a page whose counts are complete touches neither.
        engagement = EngagementService(
            cast(EngagementRecords, NoRecords()), counters, cast(ThreadStore, NoThreads()),
            NullPublisher(),
        )  # fmt: skip
        reader = TimelineReader(
            tl, graph, NoStore(), RedisProfileCards(self.r), engagement=engagement
        )
        lat, m, shown_reposts = self._reads(reader, readers)
        # Wall time on a shared machine swings by 2-3x between runs: the two are timed again
        # interleaved, read for read, so the ratio compares like with like (CPU from above).
        base_lat, lat = self._interleaved([base_reader, reader], readers)
        page = reader.home(readers[0], 20).to_json()
        assert all(i["like_count"] == 3 and i["repost_count"] == 1 for i in page["items"])
        p50, p99 = _pct(lat, 0.5) * 1e3, _pct(lat, 0.99) * 1e3
        b50, b99 = _pct(base_lat, 0.5) * 1e3, _pct(base_lat, 0.99) * 1e3
        cpu_c, cpu_s = m.client_cpu / len(lat) * 1e3, m.server_cpu / len(lat) * 1e3
        bc, bs = mb.client_cpu / len(base_lat) * 1e3, mb.server_cpu / len(base_lat) * 1e3
        print(
            f"home read without counts (baseline): p50 {b50:.2f} ms, p99 {b99:.2f} ms; "
            f"CPU per read: client {bc:.2f} ms + redis {bs:.2f} ms"
        )
        bpe = statistics.mean(tl.bytes_per_entry(r) for r in readers[:20])
        card = tl.home_count(readers[0])
        enc = "/".join(sorted(set(tl.home_encodings(readers[0]))))
        name = "read" if not reposts else "read_reposts"
        case = "" if not reposts else (
            f", {len(reposts)} reposts among {len(posts)} posts, "
            f"{shown_reposts / len(lat):.1f} reposts shown per page"
        )  # fmt: skip
        print(
            f"home read (300 followees, 50 pull, limit 20, hydrated{case}, with counts): p50 "
            f"{p50:.2f} ms, p99 {p99:.2f} ms (goal p99 <= 10 ms) over {len(lat)} reads; "
            f"p99 x{p99 / b99:.2f} of the baseline\n"
            f"  CPU per read: client {cpu_c:.2f} ms + redis {cpu_s:.2f} ms "
            f"(x{(cpu_c + cpu_s) / max(1e-9, bc + bs):.2f} of the baseline)"
        )
        print(f"memory: {bpe:.1f} bytes/entry at {card} entries ({enc!r}) (goal <= 24)")
        self.results[name] = {
            "p50_ms": p50, "p99_ms": p99, "reads": len(lat), "bytes_per_entry": bpe,
            "entries": card, "latencies_ms": [x * 1e3 for x in lat],
            "client_cpu_ms_per_read": cpu_c, "server_cpu_ms_per_read": cpu_s,
            "baseline_p50_ms": b50, "baseline_p99_ms": b99,
            "baseline_client_cpu_ms_per_read": bc, "baseline_server_cpu_ms_per_read": bs,
            "reposts": len(reposts), "reposts_shown_per_page": shown_reposts / len(lat),
        }  # fmt: skip
        base = self.results.get("read")
        if reposts and base:
            print(
                f"  vs the plain case of this run: p99 {p99 / base['p99_ms']:.2f}x, CPU per read "
                f"client {cpu_c / base['client_cpu_ms_per_read']:.2f}x, "
                f"redis {cpu_s / base['server_cpu_ms_per_read']:.2f}x"
            )

    def mutes_latency(self, scale: float, mutes: int = 100) -> None:
        """Home reads filtered by blocks, mutes and suspensions (docs/safety.md): every reader
        mutes ``mutes`` accounts, a third of them among their followees (a third of the page's
        candidates then go, and the reader refills), against the plain read of the same
        timelines, timed interleaved in the same run. The relations come from Redis (the
        graph stand-in fails loudly if asked); counts are off in both, to isolate the filter."""
        tl, graph, readers, _, _, rng = self._home_workload(scale)
        tl.hydrate_engagement = False
        followees = sorted({a for r in readers for a in graph.following_ids(r)})
        cache = RedisSilencing(self.r)
        for r in readers:
            muted = rng.sample(followees, mutes // 3) + [
                f"x{r}-{i}" for i in range(mutes - mutes // 3)
            ]
            cache.fill(r, "", {m: safety.MUTES for m in muted})
        suspended = RedisSuspensions(self.r)
        silencing = SilencingService(cast(SilenceGraph, NoGraph()), cache)
        suspensions = Suspensions(cast(SuspensionGraph, NoSuspensions()), suspended)
        cards = RedisProfileCards(self.r)
        plain = TimelineReader(tl, graph, NoStore(), cards)
        filtered = TimelineReader(
            tl, graph, NoStore(), cards, silencing=silencing, suspensions=suspensions
        )
        _, mp, _ = self._reads(plain, readers)
        _, mf, _ = self._reads(filtered, readers)
        for r in readers[:5]:  # the filter holds: no muted author on a full page
            page = filtered.home(r, 20)
            assert len(page.posts) == 20
            assert not {p.author_id for p in page.posts} & set(cache.flags(r, followees)[0] or {})
        # the same reads once the muted followees' entries are out of the homes, as a mute
        # through the users function does (SafetyService: clear at write, filter at read)
        lat = self._interleave_two(plain, filtered, readers)
        self._print_mutes(mutes, "entries still in the homes (filter only)", lat, mp, mf)
        for r in readers:
            for m in cache.flags(r, followees)[0] or {}:
                tl.clear_author_from_home(r, m)
        _, mc, _ = self._reads(filtered, readers)
        plain_tl = self._interleave_two(plain, filtered, readers)
        p50, p99, b50, b99 = self._print_mutes(
            mutes, "cleared at write, filtered at read", plain_tl, mp, mc
        )
        n = len(plain_tl[0])
        fc, fs = mc.client_cpu / n * 1e3, mc.server_cpu / n * 1e3
        bc, bs = mp.client_cpu / n * 1e3, mp.server_cpu / n * 1e3
        self.results["mutes"] = {
            "mutes": mutes, "p50_ms": p50, "p99_ms": p99, "baseline_p50_ms": b50,
            "baseline_p99_ms": b99, "reads": len(lat[1]), "client_cpu_ms_per_read": fc,
            "server_cpu_ms_per_read": fs, "baseline_client_cpu_ms_per_read": bc,
            "baseline_server_cpu_ms_per_read": bs,
        }  # fmt: skip

    @staticmethod
    def _interleave_two(
        a: TimelineReader, b: TimelineReader, readers: list[str]
    ) -> tuple[list[float], list[float]]:
        lat: tuple[list[float], list[float]] = ([], [])
        for _ in range(max(1, 2000 // len(readers))):
            for r in readers:
                for k, rd in enumerate((a, b)):
                    t = time.perf_counter()
                    rd.home(r, 20)
                    lat[k].append(time.perf_counter() - t)
        return lat

    @staticmethod
    def _print_mutes(
        mutes: int, case: str, lat: tuple[list[float], list[float]], mp: Meter, mf: Meter
    ) -> tuple[float, float, float, float]:
        b50, b99 = _pct(lat[0], 0.5) * 1e3, _pct(lat[0], 0.99) * 1e3
        p50, p99 = _pct(lat[1], 0.5) * 1e3, _pct(lat[1], 0.99) * 1e3
        n = len(lat[0])  # _reads makes as many reads as one side of the interleaved loop
        bc, bs = mp.client_cpu / n * 1e3, mp.server_cpu / n * 1e3
        fc, fs = mf.client_cpu / n * 1e3, mf.server_cpu / n * 1e3
        print(
            f"home read with {mutes} mutes ({mutes // 3} of them followees), {case}: "
            f"p50 {p50:.2f} ms, p99 {p99:.2f} ms (goal p99 <= 10 ms) over {len(lat[1])} reads;"
            f" plain read in the same loop p50 {b50:.2f} ms, p99 {b99:.2f} ms: "
            f"p99 x{p99 / b99:.2f}\n"
            f"  CPU per read: client {fc:.2f} ms + redis {fs:.2f} ms, plain {bc:.2f} + "
            f"{bs:.2f} ms (x{(fc + fs) / max(1e-9, bc + bs):.2f})"
        )
        return p50, p99, b50, b99

    def _interleaved(
        self, two: list[TimelineReader], readers: list[str]
    ) -> tuple[list[float], list[float]]:
        lat: tuple[list[float], list[float]] = ([], [])
        flags = [False, True]  # hydrate_engagement of each reader's engine
        for _ in range(max(1, 2000 // len(readers))):
            for r in readers:
                for k in (0, 1):
                    two[k].tl.hydrate_engagement = flags[k]  # type: ignore[attr-defined]
                    t = time.perf_counter()
                    two[k].home(r, 20)
                    lat[k].append(time.perf_counter() - t)
        return lat

    def _reads(self, reader: TimelineReader, readers: list[str]) -> tuple[list[float], Meter, int]:
        """(latencies, what they cost, reposts shown) of 2,000 home reads."""
        for r in readers:
            reader.home(r, 20)  # warm: followee sets cached, profile cards put
        lat: list[float] = []
        shown_reposts = 0
        with Meter(self.r) as m:
            for _ in range(max(1, 2000 // len(readers))):
                for r in readers:
                    t = time.perf_counter()
                    page = reader.home(r, 20)
                    lat.append(time.perf_counter() - t)
                    assert len(page.posts) == 20
                    assert len({p.id for p in page.posts}) == 20  # never one post twice
                    shown_reposts += len(page.reposted_by)
        return lat, m, shown_reposts


def _repost_mix(
    posts: Sequence[TimelinePost], reposters: Sequence[str], share: float, rng: random.Random
) -> list[tuple[int, int, str]]:
    """(ms, original, reposter) for ``share`` of the events: reposts, in time order, each of a
    post of someone else from the 10 minutes before it, within the posts' time span."""
    n = int(len(posts) * share / max(1e-9, 1 - share)) if share > 0 else 0
    out: dict[tuple[int, str], int] = {}
    end = max((p.created_ms for p in posts), default=0)
    while len(out) < n:
        p = posts[rng.randrange(len(posts) // 8, len(posts))]
        who = rng.choice(reposters)
        ms = p.created_ms + rng.randrange(1, 600_000)
        if who != p.author_id and ms <= end:  # interleaved with the posts, not after them
            out.setdefault((p.post_id, who), ms)
    return sorted((ms, pid, who) for (pid, who), ms in out.items())


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    labels = ["seed burst\n(logical entries/s)", "push writer\n(entries/s)", "ZADD -P 64\nceiling"]
    vals = [
        results["seed"]["logical_entries_per_s"],
        results["push"]["writer_entries_per_s"],
        results["push"]["zadd_ceiling_per_s"],
    ]
    ax1.bar(labels, [v / 1e6 for v in vals], color=["#4c72b0", "#55a868", "#c44e52"])
    ax1.set_ylabel("million entries / s")
    ax1.set_title("Throughput (one Redis)")
    lat = results["read"]["latencies_ms"]
    ax2.hist(lat, bins=60, color="#4c72b0")
    for q, c in ((0.5, "green"), (0.99, "red")):
        v = _pct(lat, q)
        ax2.axvline(v, color=c, linestyle="--", label=f"p{int(q * 100)} {v:.2f} ms")
    ax2.set_xlabel("home read latency (ms): 300 followees, 50 pull")
    ax2.set_title("Read latency at the engine")
    ax2.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ver = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "redis": ver.split()[2] if ver else "?"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every workload size")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--plot", type=Path, default=None, help="write a PNG plot here")
    ap.add_argument("--json", type=Path, default=None, help="write the numbers here")
    ap.add_argument("--flush", action="store_true", help="allow FLUSHDB on REDIS_URL")
    ap.add_argument(
        "--only", choices=["seed", "push", "pieces", "read", "reposts", "mutes"], action="append"
    )
    ap.add_argument(
        "--e2e", action="store_true",
        help="then item 4: end-to-end freshness through the emulators (devstack.bench_e2e)",
    )  # fmt: skip
    ap.add_argument("--e2e-rates", default="200,100,75,50", help="posts/s, one 60 s run each")
    ap.add_argument("--e2e-seconds", type=float, default=60.0)
    ap.add_argument("--e2e-plot", type=Path, default=None, help="PNG of the e2e runs")
    args = ap.parse_args(argv)

    svc: services.Service | None = None
    url = os.environ.get("REDIS_URL")
    if url and not args.flush:
        print("REDIS_URL is set: the benchmark FLUSHes that db; pass --flush to allow it")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="kwetter-bench-"))
    if not url:
        port = services.free_port()
        svc = services.redis(port, workdir)
        svc.start()
        url = f"redis://127.0.0.1:{port}/0"
    r = redis_lib.Redis.from_url(url)
    port = int(r.connection_pool.connection_kwargs.get("port", 6379))
    m = machine()
    print(f"machine: {m['nproc']} x {m['cpu']}, redis {m['redis']}; scale {args.scale}")
    bench = Bench(r, port, dataclasses.replace(Settings(), redis_url=url))
    bench.results["machine"] = m
    ok = True
    try:
        todo = args.only or ["seed", "push", "pieces", "read", "reposts"]
        if "seed" in todo:
            ok = bench.seed_burst(args.scale, args.seed)
        if "push" in todo:
            bench.push_throughput(args.scale)
        if "pieces" in todo:
            bench.pieces(args.scale)
        if "read" in todo or "reposts" in todo:
            bench.read_latency(args.scale)
        if "reposts" in todo:
            bench.read_latency(args.scale, repost_share=0.2)
        if "mutes" in todo:
            bench.mutes_latency(args.scale)
    finally:
        r.close()
        if svc is not None:
            svc.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(bench.results, indent=1))
    if args.plot and {"seed", "push", "read"} <= bench.results.keys():
        plot(bench.results, args.plot)
        print(f"plot: {args.plot}")
    if args.e2e:
        from devstack import bench_e2e

        e2e = ["--rates", args.e2e_rates, "--seconds", str(args.e2e_seconds)]
        if args.e2e_plot:
            e2e += ["--plot", str(args.e2e_plot)]
        if args.json:
            e2e += ["--json", str(args.json.with_suffix(".e2e.json"))]
        ok = bench_e2e.main(e2e) == 0 and ok
    if not ok:
        print("FAILED: seed verification found differences (or the e2e run failed)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
