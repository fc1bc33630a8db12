"""What the cluster drills share: a cluster of the drill's own (each breaks it differently),
readers following authors on it, posting through the real consumers with a consumer's retry,
and the check every drill ends with."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import redis

from devstack import services
from shared import events
from shared.domain.model import Post
from tests.timeline.conftest import Engine, created, make_engine, make_id

T = TypeVar("T")
T0 = 1_780_000_000_000
READERS = [f"r{i}" for i in range(40)]
AUTHORS = ["a0", "a1", "a2"]


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.RedisCluster]:
    """A cluster of this module's own: the drill breaks it (kills a master, moves slots)."""
    c = services.RedisCluster.on_free_ports(Path(tmp_path_factory.mktemp("drill")))
    c.start()
    try:
        yield c
    finally:
        c.stop()


def retry(fn: Callable[[], T], deadline_s: float = 60.0) -> tuple[T, int]:
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


def followed_engine(url: str) -> Engine:
    """Every reader follows every author; every post pushed (no burst switch to pull), so the
    raw home timelines are the check."""
    e: Engine = make_engine(url, burst_post_threshold=10**9)
    e.user(*READERS, *AUTHORS)
    for r in READERS:
        for a in AUTHORS:
            e.follow(r, a)
    return e


def post_and_deliver(e: Engine, k: int) -> tuple[int, int]:
    """Post number ``k`` through the planner and the writer, each retried as Pub/Sub would;
    the post id and how many attempts failed."""
    author = AUTHORS[k % len(AUTHORS)]
    # every other post young (minted now: plain ZADDs), the rest late (write.lua's checks)
    ms = int(time.time() * 1000) if k % 2 else T0 + k
    pid = make_id(ms)
    e.store.add(Post(pid, author, f"post {k}", ms))
    event = created(pid, author, f"post {k}", ms)
    _, failures = retry(lambda: e.planner.handle(event))
    sent, e.pub.sent = e.pub.sent, []
    for _, batch in sent:
        assert isinstance(batch, events.FanoutBatch)
        _, f = retry(lambda b=batch: e.writer.handle(b))  # type: ignore[misc]
        failures += f
    return pid, failures


def assert_every_timeline(e: Engine, posted: list[int]) -> None:
    """Nothing lost, newest first, nothing twice, and the page a reader reads agrees."""
    want = sorted(posted, reverse=True)[: e.settings.timeline_cap]
    for r in READERS:
        got = retry(lambda r=r: e.tl.home_ids(r))[0]  # type: ignore[misc]
        # the trimming rule lets a timeline hold a few entries over the cap between trims
        assert got[: len(want)] == want, r
        assert len(set(got)) == len(got) and set(got) <= set(posted), r
        assert retry(lambda r=r: e.page(r, 50))[0] == want[:50]  # type: ignore[misc]
