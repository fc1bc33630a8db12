"""Fault drill on the real local Redis Cluster (issue 19): one master is killed (SIGKILL) while
posts flow; its replica is promoted, the cluster client follows the new slot map, consumers
retry (what Pub/Sub redelivery does for a function that raised), and afterwards every home
timeline equals the expectation: no post lost, none duplicated."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import redis
from redis.cluster import RedisCluster

from devstack import services
from shared import events
from shared.adapters import redis_keys as keys
from shared.domain.model import Post
from tests.timeline.conftest import Engine, created, make_engine, make_id

T = TypeVar("T")
T0 = 1_780_000_000_000


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.RedisCluster]:
    """A cluster of this module's own: the drill kills one of its masters."""
    c = services.RedisCluster.on_free_ports(Path(tmp_path_factory.mktemp("failover")))
    c.start()
    try:
        yield c
    finally:
        c.stop()


def _retry(fn: Callable[[], T], deadline_s: float = 60.0) -> tuple[T, int]:
    """Call ``fn`` until it succeeds (a consumer's redelivery); the result and failures."""
    failures, t_end = 0, time.monotonic() + deadline_s
    while True:
        try:
            return fn(), failures
        except (redis.exceptions.RedisError, OSError):
            failures += 1
            if time.monotonic() > t_end:
                raise
            time.sleep(0.2)


def test_a_killed_master_is_replaced_and_no_post_is_lost_or_duplicated(
    own_cluster: services.RedisCluster,
) -> None:
    # every post pushed (no burst switch to pull), so the raw home timelines are the check
    e: Engine = make_engine(own_cluster.url, burst_post_threshold=10**9)
    readers = [f"r{i}" for i in range(40)]
    authors = ["a0", "a1", "a2"]
    e.user(*readers, *authors)
    for r in readers:
        for a in authors:
            e.follow(r, a)
    # the master serving the first reader's home timeline dies mid-run
    rc: RedisCluster[bytes] = RedisCluster(host="127.0.0.1", port=own_cluster.ports[0])
    victim = rc.get_node_from_key(keys.home(readers[0]))
    rc.close()
    assert victim is not None
    victim_port = int(victim.port)
    node = own_cluster.node_on(victim_port)
    assert node.proc is not None
    killer = threading.Timer(0.8, lambda: os.killpg(node.proc.pid, signal.SIGKILL))  # type: ignore[union-attr]

    posted: list[int] = []
    failures = 0
    killer.start()
    t_end = time.monotonic() + 8.0  # posts keep flowing through and past the failover
    k = 0
    while time.monotonic() < t_end or k < 200:
        author = authors[k % len(authors)]
        ms = T0 + k
        pid = make_id(ms)
        e.store.add(Post(pid, author, f"post {k}", ms))
        event = created(pid, author, f"post {k}", ms)
        _, f = _retry(lambda ev=event: e.planner.handle(ev))  # type: ignore[misc]
        failures += f
        sent, e.pub.sent = e.pub.sent, []
        for _, batch in sent:
            assert isinstance(batch, events.FanoutBatch)
            _, f = _retry(lambda b=batch: e.writer.handle(b))  # type: ignore[misc]
            failures += f
        posted.append(pid)
        k += 1
    killer.join()
    assert node.proc.poll() is not None  # it really died
    assert failures > 0, "the drill must have hit the dead master"
    own_cluster.wait_ok(timeout=30)
    # the dead master's replica now serves its slots
    roles = []
    for port in own_cluster.ports:
        if port == victim_port:
            continue
        with redis.Redis(port=port) as node_client:
            roles.append(node_client.info("replication")["role"])
    assert roles.count("master") == 3
    want = sorted(posted, reverse=True)[: e.settings.timeline_cap]
    for r in readers:
        got = _retry(lambda r=r: e.tl.home_ids(r))[0]  # type: ignore[misc]
        # the trimming rule lets a timeline hold a few entries over the cap between trims
        assert got[: len(want)] == want, r  # nothing lost, newest first
        assert len(set(got)) == len(got) and set(got) <= set(posted), r  # nothing twice
        page = _retry(lambda r=r: e.page(r, 50))[0]  # type: ignore[misc]
        assert page == want[:50]
    e.r.close()
