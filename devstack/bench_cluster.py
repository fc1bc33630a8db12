"""The push writer and the home read on a local 3-master Redis Cluster vs one Redis (issue 19).

Same workload on both: 3,000 users active, posts each fanned out to 1,000 of them in one
``apply_batches`` call; CPU per timeline entry of the Redis servers (their /proc utime+stime)
and of this client process, side by side, run REPEATS times in turn and the medians
reported (one Redis with a replica, as every cluster shard has, and one without); keys and
memory per shard; home read p50/p99 with 300 followees of which 50 pull. Prints one JSON
object. ``python -m devstack.bench_cluster``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from devstack import services
from shared import ids
from shared.adapters.clients import redis_client
from shared.adapters.redis_cards import RedisProfileCards
from shared.adapters.redis_timeline import RedisTimelines
from shared.config import Settings
from shared.domain.model import Post
from shared.usecases.timeline import TimelineReader
from tests.timeline.fakes import MemGraph, MemPosts

USERS, FANOUT, POSTS = 3000, 1000, 300
FOLLOWEES, PULL = 300, 50  # the home read the issue sets: 300 followees, 50 of them pull
TICKS = os.sysconf("SC_CLK_TCK")
REPEATS = 5  # writer runs per topology, alternating (the median is reported)


def _cpu_s(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def _client_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def write(url: str, pids: list[int], ports: list[int]) -> dict[str, Any]:
    """The push writer's workload on an emptied Redis: CPU per entry, then keys and memory per
    master."""
    import redis as redis_lib

    settings = dataclasses.replace(Settings(), redis_url=url)
    r = redis_client(url)
    r.flushdb()
    tl = RedisTimelines(r, settings)
    users = [f"u{i}" for i in range(USERS)]
    for u in users:
        tl.touch(u)
    rng = random.Random(1)
    t0 = int(time.time() * 1000)
    batches = []
    for k in range(POSTS):
        pid = ((t0 + k - ids.KWETTER_EPOCH_MS) << 22) | k
        batches.append(("add", pid, rng.sample(users, FANOUT)))
    s0, c0, w0 = _cpu_s(pids), _client_cpu(), time.monotonic()
    for i in range(0, POSTS, 10):
        tl.apply_batches(batches[i : i + 10])
    s1, c1, w1 = _cpu_s(pids), _client_cpu(), time.monotonic()
    r.close()
    entries = POSTS * FANOUT
    shards = []
    for port in ports:
        with redis_lib.Redis(port=port) as node:
            if node.info("replication")["role"] != "master":
                continue
            shards.append({"port": port, "keys": node.dbsize(),
                           "used_memory": node.info("memory")["used_memory"]})  # fmt: skip
    return {
        "entries": entries,
        "redis_cpu_us_per_entry": (s1 - s0) / entries * 1e6,
        "client_cpu_us_per_entry": (c1 - c0) / entries * 1e6,
        "total_cpu_us_per_entry": ((s1 - s0) + (c1 - c0)) / entries * 1e6,
        "wall_entries_per_s": entries / (w1 - w0),
        "shards": shards,
    }


def read(url: str, pids: list[int]) -> dict[str, Any]:
    """Home reads: FOLLOWEES followees, PULL of them pull authors with own timelines."""
    settings = dataclasses.replace(Settings(), redis_url=url)
    r = redis_client(url)
    tl = RedisTimelines(r, settings)
    t0 = int(time.time() * 1000)
    graph, store = MemGraph(), MemPosts()
    reader = TimelineReader(tl, graph, store, RedisProfileCards(r))
    for u in ["reader", *(f"a{j}" for j in range(FOLLOWEES))]:
        graph.add_user(u)
    posts = []
    for j in range(FOLLOWEES):
        graph.follow("reader", f"a{j}")
        for n in range(20):
            ms = t0 - (j * 20 + n) * 1000
            posts.append(Post(((ms - ids.KWETTER_EPOCH_MS) << 22) | (j * 20 + n), f"a{j}", "x", ms))
    for p in posts:
        store.add(p)
    tl.cache_posts(posts)
    for j in range(PULL):
        tl.restore_author(f"a{j}", [p for p in posts if p.author_id == f"a{j}"], puller=True)
    tl.regenerate("reader", [f"a{j}" for j in range(FOLLOWEES)])
    tl.store_followees("reader", [f"a{j}" for j in range(FOLLOWEES)])
    for _ in range(50):
        reader.home("reader", 20, None)
    lat = []
    rs0, rc0 = _cpu_s(pids), _client_cpu()
    for _ in range(500):
        t = time.perf_counter()
        reader.home("reader", 20, None)
        lat.append((time.perf_counter() - t) * 1000)
    rs1, rc1 = _cpu_s(pids), _client_cpu()
    lat.sort()
    r.close()
    return {
        "home_read_ms": {"p50": statistics.median(lat), "p99": lat[int(len(lat) * 0.99)]},
        "home_read_cpu_ms": {"redis": (rs1 - rs0) / 500 * 1e3, "client": (rc1 - rc0) / 500 * 1e3},
    }


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median total CPU per entry (its other figures with it)."""
    return sorted(runs, key=lambda x: x["total_cpu_us_per_entry"])[len(runs) // 2]


def _replicated(port: int, workdir: Path) -> services.Service:
    """A replica of the Redis on ``port``, started and in sync: a cluster shard has one, and so
    has a Memorystore instance of the Standard tier; a master feeds each write to it."""
    import redis as redis_lib

    replica = services.redis(services.free_port(), workdir)
    replica.cmd += ["--replicaof", "127.0.0.1", str(port)]
    replica.start()
    deadline = time.monotonic() + 30
    with redis_lib.Redis(port=port) as master:
        while master.info("replication").get("slave0", {}).get("state") != "online":
            if time.monotonic() > deadline:
                raise RuntimeError("the single Redis' replica did not come online in 30 s")
            time.sleep(0.1)
    return replica


def main() -> int:
    import redis as redis_lib

    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    bare = services.redis(services.free_port(), work / "bare")
    single = services.redis(services.free_port(), work / "single")
    cluster = services.RedisCluster.on_free_ports(work / "cluster")
    started: list[Any] = []
    try:
        for svc in (bare, single, cluster):
            svc.start()
            started.append(svc)
        ports = {
            n: int(svc.cmd[svc.cmd.index("--port") + 1])
            for n, svc in (("bare", bare), ("single", single))
        }
        started.append(_replicated(ports["single"], work / "replica"))
        assert bare.proc is not None and single.proc is not None
        urls = {n: f"redis://127.0.0.1:{p}/0" for n, p in ports.items()}
        own_pids = {"bare": [bare.proc.pid], "single": [single.proc.pid]}
        pids = []  # the masters' CPU (their replicas' is not counted, on either side)
        for n, p in zip(cluster.nodes, cluster.ports, strict=True):
            with redis_lib.Redis(port=p) as node:
                if node.info("replication")["role"] == "master" and n.proc is not None:
                    pids.append(n.proc.pid)
        # Each topology's writer runs REPEATS times, in turn, every server up all along: this
        # machine's speed drifts by a third between minutes, so one run each can show a ratio
        # off by that much; the median of the runs' ratios does not.
        bares, ones, threes = [], [], []
        for i in range(REPEATS):
            bares.append(write(urls["bare"], own_pids["bare"], [ports["bare"]]))
            ones.append(write(urls["single"], own_pids["single"], [ports["single"]]))
            threes.append(write(cluster.url, pids, cluster.ports))
            print(
                f"writer run {i + 1}/{REPEATS}, Redis + client CPU us/entry: one Redis "
                f"{ones[-1]['redis_cpu_us_per_entry']:.2f} + "
                f"{ones[-1]['client_cpu_us_per_entry']:.2f} (no replica: "
                f"{bares[-1]['redis_cpu_us_per_entry']:.2f} + "
                f"{bares[-1]['client_cpu_us_per_entry']:.2f}), cluster "
                f"{threes[-1]['redis_cpu_us_per_entry']:.2f} + "
                f"{threes[-1]['client_cpu_us_per_entry']:.2f}",
                file=sys.stderr,
                flush=True,
            )
        one = {**_median_run(ones), **read(urls["single"], own_pids["single"])}
        three = {**_median_run(threes), **read(cluster.url, pids)}
    finally:
        for svc in reversed(started):
            svc.stop()
    mem = [s["used_memory"] for s in three["shards"]]

    def ratios(base: list[dict[str, Any]]) -> list[float]:
        return [
            c["total_cpu_us_per_entry"] / o["total_cpu_us_per_entry"]
            for o, c in zip(base, threes, strict=True)
        ]

    out = {
        "single": one,
        "single_without_replica": _median_run(bares),
        "cluster": three,
        "cluster_vs_single_total_cpu_per_entry": statistics.median(ratios(ones)),
        "cluster_vs_single_per_run": ratios(ones),
        "cluster_vs_single_without_replica": statistics.median(ratios(bares)),
        "cluster_shard_memory_max_over_min": max(mem) / min(mem),
    }
    print(json.dumps(out, indent=2))
    if len(sys.argv) > 2 and sys.argv[1] == "--json":  # `make bench`: input of devstack.capacity
        Path(sys.argv[2]).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
