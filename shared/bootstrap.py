"""The one place that wires adapters to services, once per process (one driver, one pool).

Each function's main.py asks this module for what it needs; everything is created lazily so a
function only connects to the services it uses.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from shared import config

if TYPE_CHECKING:
    import neo4j
    import redis as redis_lib
    from google.cloud import firestore as firestore_lib

    from shared.adapters.firestore_posts import FirestorePosts
    from shared.adapters.neo4j_graph import Neo4jGraph
    from shared.adapters.pubsub import PubSubPublisher
    from shared.adapters.redis_timeline import RedisTimelines


class Container:
    def __init__(self, settings: config.Settings | None = None) -> None:
        self.settings = settings or config.load()

    @cached_property
    def redis(self) -> redis_lib.Redis[bytes]:
        import redis as redis_lib

        return redis_lib.Redis.from_url(
            self.settings.redis_url, decode_responses=False, health_check_interval=30
        )

    @cached_property
    def neo4j_driver(self) -> neo4j.Driver:
        from neo4j import GraphDatabase

        s = self.settings
        auth = (s.neo4j_user, s.neo4j_password) if s.neo4j_password else None
        return GraphDatabase.driver(s.neo4j_uri, auth=auth)

    @cached_property
    def firestore(self) -> firestore_lib.Client:
        from google.cloud import firestore as firestore_lib

        return firestore_lib.Client(project=self.settings.project_id)

    @cached_property
    def publisher(self) -> PubSubPublisher:
        from shared.adapters.pubsub import PubSubPublisher

        return PubSubPublisher(self.settings.project_id)

    @cached_property
    def graph(self) -> Neo4jGraph:
        from shared.adapters.neo4j_graph import Neo4jGraph

        graph = Neo4jGraph(self.neo4j_driver, self.settings.neo4j_database)
        graph.ensure_schema()
        return graph

    @cached_property
    def posts(self) -> FirestorePosts:
        from shared.adapters.firestore_posts import FirestorePosts

        return FirestorePosts(self.firestore)

    @cached_property
    def timelines(self) -> RedisTimelines:
        from shared.adapters.redis_timeline import RedisTimelines

        return RedisTimelines(self.redis, self.settings)


_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        _container = Container()
        from shared.observability import setup_logging

        setup_logging(_container.settings.project_id)
    return _container
