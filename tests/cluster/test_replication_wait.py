"""Writes acknowledged only once replicated (REDIS_WAIT_REPLICAS, issue 19): replication is
asynchronous, so a master may die holding writes its replica never got. With the setting on,
every node's writes of a fan-out end with WAIT; a replica that does not acknowledge in time
fails the call (its Pub/Sub message is delivered again), and the redelivery, once the replica
is back, leaves every timeline exact."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from redis.cluster import RedisCluster

from devstack import services
from shared.adapters import redis_keys as keys
from shared.adapters.redis_nodes import ReplicationLag
from tests.timeline.conftest import make_engine, make_id

READERS = [f"w{i}" for i in range(120)]


def _wait_calls(cluster: services.RedisCluster) -> int:
    total = 0
    for port in cluster.ports:
        with redis.Redis(port=port) as r:
            if r.info("replication")["role"] == "master":
                total += int(r.info("commandstats").get("cmdstat_wait", {}).get("calls", 0))
    return total


@contextmanager
def _stopped_replica_of(cluster: services.RedisCluster, key: str) -> Iterator[None]:
    """The replica of the master serving ``key`` frozen (SIGSTOP): linked, but acknowledging
    nothing."""
    rc: RedisCluster[bytes] = RedisCluster(host="127.0.0.1", port=cluster.ports[0])
    master = rc.get_node_from_key(key)
    rc.close()
    assert master is not None
    with redis.Redis(port=int(master.port)) as m:
        replica_port = int(m.info("replication")["slave0"]["port"])
    proc = cluster.node_on(replica_port).proc
    assert proc is not None
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(proc.pid, signal.SIGCONT)


@pytest.mark.parametrize("young", [True, False])
def test_a_fanout_waits_for_the_replicas_and_fails_when_one_lags(
    own_cluster: services.RedisCluster, young: bool
) -> None:
    e = make_engine(own_cluster.url, redis_wait_replicas=1, redis_wait_ms=300)
    for u in READERS:
        e.tl.touch(u)
    ms = lambda: int(time.time() * 1000) - (0 if young else 3_600_000)  # noqa: E731
    before = _wait_calls(own_cluster)
    first = make_id(ms())
    assert e.tl.apply_batch("add", first, READERS) == len(READERS)
    assert _wait_calls(own_cluster) - before >= 3  # every master written waited

    second = make_id(ms())
    with _stopped_replica_of(own_cluster, keys.home(READERS[0])):
        t0 = time.monotonic()
        with pytest.raises(ReplicationLag):
            e.tl.apply_batch("add", second, READERS)
        assert time.monotonic() - t0 < 5  # bounded by REDIS_WAIT_MS, not hung
    # the redelivery, the replica back: written once, acknowledged
    assert e.tl.apply_batch("add", second, READERS) == len(READERS)
    for u in READERS:
        assert e.tl.home_ids(u) == [second, first]
    e.r.close()


def test_without_the_setting_no_write_waits(own_cluster: services.RedisCluster) -> None:
    e = make_engine(own_cluster.url)
    for u in READERS:
        e.tl.touch(u)
    before = _wait_calls(own_cluster)
    assert e.tl.apply_batch("add", make_id(int(time.time() * 1000)), READERS) == len(READERS)
    assert _wait_calls(own_cluster) == before
    e.r.close()
