"""Young posts (younger than FRESH_MS when fanned out) go to a recipient whose slot holds few of
their recipients as a plain ZADD (and, sampled, a ZCARD), no script (lua/bounds.lua
FRESH_KEEP_MS): no spill or rewrite moves an entry that young out of a head, so the head is its
place. Same results on both topologies:
idempotent under redelivery, the pieces' order kept, nothing lost when a head fills with young
entries faster than they age."""

from __future__ import annotations

import itertools
import time

from shared import events
from shared.adapters import redis_keys as keys
from shared.adapters.redis_timeline import FRESH_MS, HEAD_MAX
from shared.domain.model import Post
from tests.timeline.conftest import Engine, created, make_engine, make_id


def _now() -> int:
    return int(time.time() * 1000)


def _planned(e: Engine, author: str, ms: int) -> tuple[int, events.FanoutBatch]:
    """A post planned but not yet delivered: its id and its one fan-out batch."""
    pid = make_id(ms)
    e.store.add(Post(pid, author, "hi", ms))
    e.planner.handle(created(pid, author, "hi", ms))
    (_, batch), *rest = e.pub.sent
    e.pub.sent.clear()
    assert not rest and isinstance(batch, events.FanoutBatch)
    return pid, batch


def _r_follows_a(topology_url: str) -> Engine:
    """r follows a, whose posts are all pushed (no burst turns a to pull mode)."""
    e = make_engine(topology_url, burst_post_threshold=10_000)
    e.user("a", "r")
    e.follow("r", "a")
    return e


def _ordered(e: Engine, uid: str) -> None:
    """Every key newer than the next one, every key a sorted set of distinct ids."""
    ks = e.tl.home_keys(uid)
    ranges = [[int(m) for m in e.r.zrange(k, 0, -1)] for k in ks]
    for newer, older in itertools.pairwise(ranges):
        assert min(newer) > max(older)
    flat = [i for r in ranges for i in r]
    assert len(flat) == len(set(flat))


def test_young_posts_are_idempotent_on_a_full_timeline_of_pieces(topology_url: str) -> None:
    e, t_old = _r_follows_a(topology_url), _now() - 3 * 3_600_000
    old = [e.post("a", t_old + i * 10_000) for i in range(900)]
    assert len(e.tl.home_keys("r")) > 5
    young = []
    for i in range(12):
        ms = _now() - 2_000 + i
        assert ms > _now() - FRESH_MS
        pid, batch = _planned(e, "a", ms)
        young.append(pid)
        e.writer.handle(batch)
        first = e.dump()
        e.writer.handle(batch)
        e.writer.handle(batch)
        assert e.dump() == first
    held = e.tl.home_ids("r")  # capped when the head spills: cap + what the head took since
    assert (
        800 <= len(held) <= 800 + HEAD_MAX
        and held == sorted([*old, *young], reverse=True)[: len(held)]
    )
    assert set(young) <= {int(m) for m in e.r.zrange(keys.home("r"), 0, -1)}
    assert set(e.tl.home_encodings("r")) == {"listpack"}
    _ordered(e, "r")


def test_a_spill_keeps_every_young_entry_in_the_head(topology_url: str) -> None:
    e, now = _r_follows_a(topology_url), _now()
    old = [e.post("a", now - 3_600_000 + i * 1_000) for i in range(100)]
    young = [e.post("a", now - 5_000 + i * 50) for i in range(60)]
    head = {int(m) for m in e.r.zrange(keys.home("r"), 0, -1)}
    assert len(e.tl.home_keys("r")) >= 2  # it spilled
    assert set(young) <= head  # more than HEAD_KEEP stayed: the young ones
    assert e.tl.home_ids("r") == sorted([*old, *young], reverse=True)
    assert set(e.tl.home_encodings("r")) == {"listpack"}
    _ordered(e, "r")


def test_a_head_full_of_young_entries_waits_and_loses_nothing(topology_url: str) -> None:
    e, now = _r_follows_a(topology_url), _now()
    young = [e.post("a", now - 8_000 + i * 50) for i in range(HEAD_MAX + 15)]
    # none of them may leave the head yet: it holds them all (past the listpack limit for
    # now) rather than put a young entry in a piece
    assert e.tl.home_keys("r") == [keys.home("r")]
    assert e.tl.home_ids("r") == sorted(young, reverse=True)
    assert e.page("r", 5) == sorted(young, reverse=True)[:5]
