"""Fault drill on the real local Redis Cluster (issue 19): one master is killed (SIGKILL) while
posts flow; its replica is promoted, the cluster client follows the new slot map, consumers
retry (what Pub/Sub redelivery does for a function that raised), and afterwards every home
timeline equals the expectation: no post lost, none duplicated."""

from __future__ import annotations

import os
import signal
import threading
import time

import redis
from redis.cluster import RedisCluster

from devstack import services
from shared.adapters import redis_keys as keys
from tests.cluster.conftest import READERS, assert_every_timeline, followed_engine, post_and_deliver


def test_a_killed_master_is_replaced_and_no_post_is_lost_or_duplicated(
    own_cluster: services.RedisCluster,
) -> None:
    e = followed_engine(own_cluster.url)
    # the master serving the first reader's home timeline dies mid-run
    rc: RedisCluster[bytes] = RedisCluster(host="127.0.0.1", port=own_cluster.ports[0])
    victim = rc.get_node_from_key(keys.home(READERS[0]))
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
        pid, f = post_and_deliver(e, k)
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
    assert_every_timeline(e, posted)
    e.r.close()
