"""Fault drill on the real local Redis Cluster (issue 19): every slot of one master is moved
to another (`redis-cli --cluster reshard`, live) while posts flow; the client follows ASK and
MOVED, a script that meets a half-migrated slot (TRYAGAIN) is retried as a consumer would, and
afterwards every home timeline holds every post once, newest first."""

from __future__ import annotations

import shutil
import subprocess
import threading

import redis
from redis.cluster import RedisCluster

from devstack import services
from shared.adapters import redis_keys as keys
from tests.cluster.conftest import READERS, assert_every_timeline, followed_engine, post_and_deliver


def _node_id(port: int) -> str:
    with redis.Redis(port=port, decode_responses=True) as r:
        return str(r.execute_command("CLUSTER", "MYID"))


def test_live_resharding_while_posts_flow_keeps_every_timeline(
    own_cluster: services.RedisCluster,
) -> None:
    e = followed_engine(own_cluster.url)
    rc: RedisCluster[bytes] = RedisCluster(host="127.0.0.1", port=own_cluster.ports[0])
    source = rc.get_node_from_key(keys.home(READERS[0]))
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
        cli, "--cluster", "reshard", f"127.0.0.1:{own_cluster.ports[0]}",
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
        posted.append(post_and_deliver(e, k)[0])
        k += 1
    mover.join()
    assert done and done[0].returncode == 0, done[0].stdout[-2000:] + done[0].stderr
    own_cluster.wait_ok(timeout=30)
    # the first reader's slot now lives on the target: its keys moved while posts flowed
    fresh: RedisCluster[bytes] = RedisCluster(host="127.0.0.1", port=own_cluster.ports[0])
    moved = fresh.get_node_from_key(keys.home(READERS[0]))
    fresh.close()
    assert moved is not None and moved.port == target.port
    assert_every_timeline(e, posted)
    e.r.close()
