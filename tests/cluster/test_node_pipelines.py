"""The engine talks to a cluster one plain pipeline per master (shared.adapters.redis_nodes):
every master gets its own recipients' scripts, nothing asks the server for a command's keys,
and a slot map gone stale (a slot moved behind the client's back) still ends right, through
the cluster client's fallback."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import redis

from devstack import services
from shared import ids
from shared.adapters import redis_keys as keys
from shared.adapters.redis_nodes import NodePipelines, key_of, slot
from shared.adapters.redis_timeline import HEAD_MAX, PLAIN_MAX
from tests.timeline.conftest import make_engine, make_id


def _stats(port: int) -> dict[str, int]:
    with redis.Redis(port=port) as r:
        raw = r.info("commandstats")
    return {k: int(v["calls"]) for k, v in raw.items()}


def _masters(cluster: services.RedisCluster) -> list[int]:
    out = []
    for port in cluster.ports:
        with redis.Redis(port=port) as r:
            if r.info("replication")["role"] == "master":
                out.append(port)
    return out


def _calls(masters: list[int], before: dict[int, dict[str, int]], name: str) -> list[int]:
    return [_stats(p).get(name, 0) - before[p].get(name, 0) for p in masters]


@pytest.mark.parametrize("young", [True, False])
def test_a_fanout_goes_one_pipeline_per_master_without_command_getkeys(
    redis_cluster: services.RedisCluster, young: bool
) -> None:
    """A young post goes to a recipient whose slot holds few of its recipients (PLAIN_MAX) as
    a plain ZADD (and for some, a ZCARD); an older one, and a slot holding more, as one
    write.lua run per slot."""
    e = make_engine(redis_cluster.url)
    readers = [f"np{young}{i}" for i in range(300)]
    for u in readers:
        e.tl.touch(u)
    e.tl.apply_batch("add", make_id(int(time.time() * 1000) - 3_600_000), readers)  # scripts
    masters = _masters(redis_cluster)
    before = {p: _stats(p) for p in masters}
    ms = int(time.time() * 1000) - (0 if young else 60_000)
    pid = make_id(ms)
    assert e.tl.apply_batch("add", pid, readers) == len(readers)
    evalsha = _calls(masters, before, "cmdstat_evalsha")
    zadd = _calls(masters, before, "cmdstat_zadd")
    assert sum(_calls(masters, before, "cmdstat_command|getkeys")) == 0
    sizes = Counter(slot(keys.home(u)) for u in readers).values()
    scripted = sum(1 for n in sizes if n > PLAIN_MAX)
    # (commandstats counts a script's own ZADDs too)
    assert sum(evalsha) == (scripted if young else len(sizes))
    assert sum(zadd) == len(readers)
    assert all(a + b > 0 for a, b in zip(evalsha, zadd, strict=True))  # every master served
    assert all(pid in e.tl.home_ids(u) for u in readers)


def test_a_stale_slot_map_falls_back_to_the_cluster_client(
    redis_cluster: services.RedisCluster,
) -> None:
    e = make_engine(redis_cluster.url)
    readers = [f"st{i}" for i in range(50)]
    for u in readers:
        e.tl.touch(u)
    nodes = e.tl._nodes
    # point every slot at one master: most commands now land on a node that answers MOVED
    wrong = NodePipelines(e.r)
    one = wrong._master(slot(keys.home(readers[0])))
    wrong._masters.update({s: one for s in range(16384)})
    e.tl._nodes = wrong
    try:
        pid = make_id(int(time.time() * 1000))
        assert e.tl.apply_batch("add", pid, readers) == len(readers)
        assert len(wrong._masters) < 16384  # the wrong map was dropped at the first MOVED
    finally:
        e.tl._nodes = nodes
    assert all(e.tl.home_ids(u) == [pid] for u in readers)


def test_commands_are_routed_by_their_key() -> None:
    assert key_of(("EVALSHA", "abc", 2, "tl:{a}", "tl:{a}:1", 5)) == "tl:{a}"
    assert key_of(("EVALSHA", "abc", 0, 5)) is None
    assert key_of(("OBJECT", "ENCODING", "tl:{a}")) == "tl:{a}"
    assert key_of(("HMGET", "pc:{a}", "h")) == "pc:{a}"
    assert slot("tl:{a}") == slot(b"ut:{a}")


@pytest.mark.parametrize(("cap", "every_one"), [(800, False), (50, True)])
def test_a_young_posts_heads_are_sized_for_some_recipients_or_all_when_the_cap_fits_a_head(
    redis_cluster: services.RedisCluster, cap: int, every_one: bool
) -> None:
    """The spill check of a plain insert is sampled (``CARD_EVERY``); a cap that fits in a head
    is kept exactly, so then every plain recipient's head is sized."""
    e = make_engine(redis_cluster.url, timeline_cap=cap)
    readers = [f"zc{cap}-{i}" for i in range(400)]
    for u in readers:
        e.tl.touch(u)
    masters = _masters(redis_cluster)
    before = {p: _stats(p) for p in masters}
    assert e.tl.apply_batch("add", make_id(int(time.time() * 1000)), readers) == len(readers)
    sizes = Counter(slot(keys.home(u)) for u in readers).values()
    plain = sum(n for n in sizes if n <= PLAIN_MAX)
    zcard = sum(_calls(masters, before, "cmdstat_zcard"))
    if every_one:
        assert zcard == plain
    else:  # about one in CARD_EVERY (2): far from none and from all
        assert plain * 0.3 < zcard < plain * 0.7, (zcard, plain)


def test_a_head_past_its_bound_is_spilled_by_a_sampled_check(
    redis_cluster: services.RedisCluster,
) -> None:
    """A head filled to its bound with entries old enough to move, then young posts one by one:
    one of the first few is asked the head's size and spills it (each is asked with odds 1/2;
    missing 40 in a row has odds 1e-12), so the head never reaches the listpack limit."""
    e = make_engine(redis_cluster.url)
    e.tl.touch("full")
    old_ms = int(time.time() * 1000) - 3_600_000
    old = [make_id(old_ms + i) for i in range(HEAD_MAX)]
    e.r.zadd(keys.home("full"), {str(p): ids.timestamp_ms(p) for p in old})
    young = []
    for _ in range(40):
        young.append(make_id(int(time.time() * 1000)))
        e.tl.apply_batch("add", young[-1], ["full"])
        assert e.r.zcard(keys.home("full")) < 128
    assert len(e.tl.home_keys("full")) >= 2  # it spilled
    assert set(e.tl.home_encodings("full")) == {"listpack"}
    assert e.tl.home_ids("full") == sorted([*old, *young], reverse=True)
