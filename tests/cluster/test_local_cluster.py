"""The local Redis Cluster the test session and `make run` start is a real one: 3 masters with
a replica each, every slot served, keys spread over the masters by their hash tags."""

from __future__ import annotations

import redis
from redis.cluster import RedisCluster

from devstack import services


def test_three_masters_three_replicas_all_slots(redis_cluster: services.RedisCluster) -> None:
    info = services.cluster_info(redis_cluster.ports[0])
    assert info["cluster_state"] == "ok"
    assert info["cluster_slots_assigned"] == "16384"
    assert info["cluster_known_nodes"] == "6"
    assert info["cluster_size"] == "3"  # masters serving slots
    roles = []
    for port in redis_cluster.ports:
        with redis.Redis(port=port) as r:
            roles.append(r.info("replication")["role"])
    assert sorted(roles) == ["master"] * 3 + ["slave"] * 3


def test_cross_slot_is_refused_and_tagged_keys_colocate(
    redis_cluster: services.RedisCluster,
) -> None:
    rc: RedisCluster[bytes] = RedisCluster(host="127.0.0.1", port=redis_cluster.ports[0])
    try:
        rc.set("tl:{alice}", b"1")
        rc.set("ut:{alice}", b"2")
        # One hash tag, one slot: a multi-key command works.
        assert rc.mget_nonatomic(["tl:{alice}", "ut:{alice}"]) == [b"1", b"2"]
        assert rc.keyslot("tl:{alice}") == rc.keyslot("fw:{alice}")
        try:
            rc.execute_command("MGET", "tl:{alice}", "tl:{bob}")
        except redis.exceptions.RedisClusterException as e:
            assert "slot" in str(e).lower()
        else:
            raise AssertionError("a cross-slot MGET must be refused")
    finally:
        rc.close()
