"""Which followees are pull-mode authors is cached by each timeline process (a reader's 300
followees are 300 slots on a cluster): a "yes" is kept, a "no" for PULL_FLAG_CACHE_MS. So a
post of an author who just turned to pull mode reaches another process's readers at most that
much later, and at once in the process that turned it."""

from __future__ import annotations

import dataclasses
import time

from shared.adapters.redis_timeline import RedisTimelines
from shared.domain.fanout import Mode
from tests.timeline.conftest import Engine, make_engine, make_id


def _other_process(e: Engine, cache_ms: int) -> RedisTimelines:
    return RedisTimelines(e.r, dataclasses.replace(e.settings, pull_flag_cache_ms=cache_ms))


def test_a_no_is_asked_again_after_the_cache_time(topology_url: str) -> None:
    e = make_engine(topology_url, pull_follower_threshold=1000)
    reader = _other_process(e, cache_ms=300)
    assert reader.pull_authors_of(["star", "plain"]) == []
    # the planner (another process) turns "star" to pull mode
    e.tl.commit_modes([(make_id(int(time.time() * 1000)), "star", Mode.PULL)])
    assert e.tl.pull_authors_of(["star", "plain"]) == ["star"]  # that process: at once
    assert reader.pull_authors_of(["star", "plain"]) == []  # this one: still its cached "no"
    time.sleep(0.35)
    assert reader.pull_authors_of(["star", "plain"]) == ["star"]
    assert _other_process(e, cache_ms=0).pull_authors_of(["plain", "star"]) == ["star"]


def test_a_cached_answer_asks_redis_nothing(topology_url: str) -> None:
    e = make_engine(topology_url)
    e.tl.commit_modes([(make_id(int(time.time() * 1000)), "star", Mode.PULL)])
    reader = _other_process(e, cache_ms=60_000)
    assert reader.pull_authors_of(["star", "plain"]) == ["star"]
    sent: list[int] = []
    execute = reader._nodes.execute

    def counting(stack, lanes=None, wait=None):  # type: ignore[no-untyped-def]
        sent.append(len(stack))
        return execute(stack, lanes, wait)

    reader._nodes.execute = counting  # type: ignore[method-assign]
    assert reader.pull_authors_of(["plain", "star"]) == ["star"]
    assert sent == []
    assert reader.pull_authors_of(["plain", "star", "new"]) == ["star"]
    assert sent == [1]  # only the author it had not met
