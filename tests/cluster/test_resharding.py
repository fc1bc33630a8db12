"""Fault drill on the real local Redis Cluster (issue 19): every slot of one master is moved
to another (`redis-cli --cluster reshard`, live) while posts flow; the client follows ASK and
MOVED, a script that meets a half-migrated slot (TRYAGAIN) is retried as a consumer would, and
afterwards every home timeline holds every post once, newest first."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.cluster import RedisCluster

from devstack import services
from shared import events
from shared.adapters import redis_keys as keys
from shared.domain.model import Post
from tests.cluster.test_failover import T0, _retry
from tests.timeline.conftest import Engine, created, make_engine, make_id


@pytest.fixture(scope="module")
def reshard_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.RedisCluster]:
    c = services.RedisCluster.on_free_ports(Path(tmp_path_factory.mktemp("reshard")))
    c.start()
    try:
        yield c
    finally:
        c.stop()


def _node_id(port: int) -> str:
    with redis.Redis(port=port, decode_responses=True) as r:
        return str(r.execute_command("CLUSTER", "MYID"))


def test_live_resharding_while_posts_flow_keeps_every_timeline(
    reshard_cluster: services.RedisCluster,
) -> None:
    e: Engine = make_engine(reshard_cluster.url, burst_post_threshold=10**9)
    readers = [f"r{i}" for i in range(40)]
    authors = ["a0", "a1", "a2"]
    e.user(*readers, *authors)
    for r in readers:
        for a in authors:
            e.follow(r, a)
    rc: RedisCluster[bytes] = RedisCluster(host="127.0.0.1", port=reshard_cluster.ports[0])
    source = rc.get_node_from_key(keys.home(readers[0]))
    assert source is not None
    target = next(n for n in rc.get_primaries() if n.port != source.port)
    rc.close()
    with redis.Redis(port=int(source.port)) as src:
        n_slots = sum(
            int(b) - int(a) + 1
            for a, b, *_ in src.execute_command("CLUSTER", "SLOTS")
            if int(_[0][1]) == int(source.port)
        )
    cli = shutil.which("redis-cli") or "/usr/bin/redis-cli"
    cmd = [
        cli, "--cluster", "reshard", f"127.0.0.1:{reshard_cluster.ports[0]}",
        "--cluster-from", _node_id(int(source.port)), "--cluster-to", _node_id(int(target.port)),
        "--cluster-slots", str(n_slots), "--cluster-yes",
    ]  # fmt: skip
    done: list[subprocess.CompletedProcess[str]] = []
    mover = threading.Thread(
        target=lambda: done.append(subprocess.run(cmd, capture_output=True, text=True))
    )

    posted: list[int] = []
    mover.start()
    k = 0
    while mover.is_alive() or k < 200:
        author = authors[k % len(authors)]
        ms = T0 + k
        pid = make_id(ms)
        e.store.add(Post(pid, author, f"post {k}", ms))
        event = created(pid, author, f"post {k}", ms)
        _retry(lambda ev=event: e.planner.handle(ev))  # type: ignore[misc]
        sent, e.pub.sent = e.pub.sent, []
        for _, batch in sent:
            assert isinstance(batch, events.FanoutBatch)
            _retry(lambda b=batch: e.writer.handle(b))  # type: ignore[misc]
        posted.append(pid)
        k += 1
    mover.join()
    assert done and done[0].returncode == 0, done[0].stdout[-2000:] + done[0].stderr
    reshard_cluster.wait_ok(timeout=30)
    # the first reader's slot now lives on the target: its keys moved while posts flowed
    fresh: RedisCluster[bytes] = RedisCluster(host="127.0.0.1", port=reshard_cluster.ports[0])
    moved = fresh.get_node_from_key(keys.home(readers[0]))
    fresh.close()
    assert moved is not None and moved.port == target.port
    want = sorted(posted, reverse=True)[: e.settings.timeline_cap]
    for r_ in readers:
        got = e.tl.home_ids(r_)
        assert got[: len(want)] == want, r_
        assert len(set(got)) == len(got) and set(got) <= set(posted), r_
        assert e.page(r_, 50) == want[:50]
    e.r.close()
