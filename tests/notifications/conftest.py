"""Fixtures of the notifications tests: the real Redis, Firestore emulator and Neo4j behind the
notifier and the reads (test_store.py), and the whole local platform through the gateway
(test_stack.py, the conversations suite's helpers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis as redis_lib
from google.cloud import firestore

from shared.adapters.clients import redis_client
from shared.adapters.firestore_engagement import FirestoreEngagement
from shared.adapters.firestore_notifications import FirestoreNotifications
from shared.adapters.firestore_posts import FirestorePosts
from shared.adapters.neo4j_graph import Neo4jGraph
from shared.adapters.neo4j_safety import Neo4jSafety
from shared.adapters.redis_notifications import RedisNotifications
from shared.adapters.redis_silencing import RedisSilencing
from shared.domain.notifications import StoredGroup
from shared.usecases.notifications import NotificationsService, Notifier
from shared.usecases.safety import SilencingService
from tests.conftest import PROJECT_ID
from tests.conversations.conftest import api, eventually, redeliver, stack_redis
from tests.graph.conftest import graph, neo4j_driver, wipe

__all__ = ["api", "eventually", "graph", "neo4j_driver", "redeliver", "stack_redis", "wipe"]


class CountingArchive(FirestoreNotifications):
    """The real Firestore copy, counting its writes and their bytes (the grouping's bound)."""

    def __init__(self, client: firestore.Client) -> None:
        super().__init__(client)
        self.writes = 0
        self.bytes = 0

    def put(self, uid: str, group: StoredGroup, at_ms: int) -> None:
        self.writes += 1
        self.bytes += len(group.row) + len(group.hll or b"")
        super().put(uid, group, at_ms)


class Parts:
    def __init__(self, r: redis_lib.Redis[bytes], db: firestore.Client, graph: Neo4jGraph) -> None:
        self.r = r
        self.store = RedisNotifications(r)
        self.archive = CountingArchive(db)
        self.silencing = SilencingService(Neo4jSafety(graph), RedisSilencing(r))
        self.graph = graph
        self.notifier = Notifier(
            self.store, self.archive, FirestorePosts(db), FirestoreEngagement(db),
            lambda: graph, lambda: self.silencing,
        )  # fmt: skip
        self.reads = NotificationsService(
            self.store, self.archive, None, lambda: graph, lambda: self.silencing
        )

    def users(self, *names: str) -> list[str]:
        tag = uuid.uuid4().hex[:6]
        out = []
        for n in names:
            uid = f"{n}-{tag}"
            created = self.graph.create_user(uid, f"{n}_{tag}", n.title())
            assert isinstance(created, tuple)
            out.append(uid)
        return out


@pytest.fixture
def parts(redis_url: str, firestore_emulator: str, graph: Neo4jGraph) -> Iterator[Parts]:
    r = redis_client(redis_url)
    db = firestore.Client(project=PROJECT_ID)
    yield Parts(r, db, graph)
    db.close()
    r.close()
