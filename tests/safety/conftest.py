"""Fixtures of the safety tests: the real Neo4j (an empty database per test) and Redis."""

from __future__ import annotations

from collections.abc import Iterator

import neo4j
import pytest
import redis as redis_lib

from shared.adapters.clients import redis_client
from shared.adapters.neo4j_graph import Neo4jGraph
from shared.adapters.neo4j_safety import Neo4jSafety
from shared.adapters.redis_silencing import RedisSilencing, RedisSuspensions
from shared.usecases.safety import SilencingService, Suspensions
from tests.graph.conftest import graph, neo4j_driver, wipe

__all__ = ["graph", "neo4j_driver", "wipe"]


@pytest.fixture
def r(redis_url: str) -> Iterator[redis_lib.Redis[bytes]]:
    client = redis_client(redis_url)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def silencing(graph: Neo4jGraph, r: redis_lib.Redis[bytes]) -> SilencingService:
    return SilencingService(Neo4jSafety(graph), RedisSilencing(r))


@pytest.fixture
def suspensions(graph: Neo4jGraph, r: redis_lib.Redis[bytes]) -> Suspensions:
    return Suspensions(Neo4jSafety(graph), RedisSuspensions(r))


def users(graph: Neo4jGraph, *uids: str) -> None:
    for u in uids:
        created = graph.create_user(u, f"h_{u}", u.upper())
        assert isinstance(created, tuple)


_ = neo4j.Driver  # the session driver's type, for readers of the fixtures above
