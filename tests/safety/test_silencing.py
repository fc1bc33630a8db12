"""The block/mute store on the real Neo4j and Redis: the graph is the truth, Redis the fast
path, a Redis wipe loses nothing, a refill that raced a write is refused."""

from __future__ import annotations

import pytest
import redis as redis_lib

from shared.adapters import redis_keys as keys
from shared.adapters.neo4j_graph import Neo4jGraph
from shared.domain import errors
from shared.usecases.safety import SilencingService
from shared.usecases.users import UsersService
from tests.graph.conftest import NoPublisher
from tests.safety.conftest import users


def _set(s: SilencingService, kind: str, a: str, b: str, on: bool = True) -> None:
    assert kind in ("block", "mute")
    s.graph.set_relation(kind, a, b, on)  # type: ignore[arg-type]
    s.record(kind, a, b, on)  # type: ignore[arg-type]


def test_blocks_both_ways_and_mutes_one_way(graph: Neo4jGraph, silencing: SilencingService) -> None:
    users(graph, "a", "b", "c", "d")
    _set(silencing, "block", "a", "b")
    _set(silencing, "mute", "a", "c")
    assert silencing.silenced("a", ["b", "c", "d"]) == {"b", "c"}
    assert silencing.silenced("b", ["a", "c"]) == {"a"}  # blocked by a
    assert silencing.silenced("c", ["a"]) == set()  # a mute is not told
    assert silencing.blocked_among("a", ["b", "c"]) == {"b"}
    _set(silencing, "block", "a", "b", on=False)
    assert silencing.silenced("a", ["b", "c"]) == {"c"}
    assert silencing.silenced("b", ["a"]) == set()


def test_a_redis_wipe_loses_no_block(
    graph: Neo4jGraph, silencing: SilencingService, r: redis_lib.Redis[bytes]
) -> None:
    users(graph, "a", "b", "c")
    _set(silencing, "block", "b", "a")
    _set(silencing, "mute", "a", "c")
    assert silencing.silenced("a", ["b", "c"]) == {"b", "c"}
    r.flushall()
    assert silencing.silenced("a", ["b", "c"]) == {"b", "c"}  # from the graph
    assert r.hget(keys.silencing("a"), "") == b"1"  # and refilled
    assert silencing.silenced("a", ["b", "c"]) == {"b", "c"}  # from Redis


def test_a_refill_that_raced_a_write_is_not_stored(
    graph: Neo4jGraph, silencing: SilencingService, r: redis_lib.Redis[bytes]
) -> None:
    users(graph, "a", "b")
    cache = silencing.cache
    found, version = cache.flags("a", ["b"])
    assert found is None
    stale = silencing.graph.relations("a")  # read before the block
    _set(silencing, "block", "a", "b")  # the write moves the version
    assert not cache.fill("a", version, stale)
    assert silencing.silenced("a", ["b"]) == {"b"}


def test_repeats_change_nothing(graph: Neo4jGraph, silencing: SilencingService) -> None:
    users(graph, "a", "b")
    for _ in range(3):
        _set(silencing, "mute", "a", "b")
    assert silencing.silenced("a", ["b"]) == {"b"}
    for _ in range(3):
        _set(silencing, "mute", "a", "b", on=False)
    assert silencing.silenced("a", ["b"]) == set()


def test_people_lists_and_suggestions_leave_out_the_blocked(
    graph: Neo4jGraph, silencing: SilencingService
) -> None:
    users(graph, "a", "b", "c", "d")
    graph.import_follows([("a", "c"), ("b", "c"), ("d", "c"), ("c", "b"), ("c", "d")], now=1)
    service = UsersService(graph, NoPublisher(), silencing=silencing)
    _set(silencing, "block", "a", "b")  # a blocks b

    listed, _ = service.followers("c", 10, None, "a")
    assert {u.id for u in listed} == {"a", "d"}  # b left out for a ...
    listed, _ = service.followers("c", 10, None, "b")
    assert {u.id for u in listed} == {"b", "d"}  # ... and a for b
    listed, _ = service.followers("c", 10, None, "d")
    assert {u.id for u in listed} == {"a", "b", "d"}  # nobody else is touched
    listed, _ = service.following("c", 10, None, "a")
    assert {u.id for u in listed} == {"d"}
    for viewer, other in (("a", "b"), ("b", "a")):  # across the block: 403, either way
        for page in (service.followers, service.following):
            with pytest.raises(errors.PermissionDenied) as refused:
                page(other, 10, None, viewer)
            assert refused.value.code == "blocked"
    # c follows b and d: a friend of a friend for a, but b is blocked
    assert {s.user.id for s in service.suggestions("a", 10)} == {"d"}
