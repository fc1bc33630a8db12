"""The store clients, built here so that nothing outside adapters imports a store library.

shared/bootstrap.py calls these once per process; the types are named here for its annotations.

Redis: one code path for both topologies (issue 19). ``redis_client`` builds a ``redis.Redis``
for a single node or a ``redis.cluster.RedisCluster`` (which follows MOVED/ASK and pipelines one
round trip per node); ``slot_of`` is the only place that tells them apart: the adapters group the
keys of a call by it and run one script or command per group, which on one Redis is one group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

import neo4j
import redis
from google.cloud import firestore
from redis.cluster import RedisCluster

from shared.adapters.redis_nodes import slot

if TYPE_CHECKING:
    RedisClient: TypeAlias = redis.Redis[bytes]
else:
    RedisClient = redis.Redis
Neo4jDriver: TypeAlias = neo4j.Driver
FirestoreClient: TypeAlias = firestore.Client


def _plain_url(url: str) -> str:
    return url.replace("redis+cluster://", "redis://").replace("rediss+cluster://", "rediss://")


def redis_client(url: str, cluster: bool = False) -> RedisClient:
    """A single-node client, or (``cluster``, or a ``redis+cluster://`` URL) a cluster client.

    The cluster client is typed as the single-node one: the adapters only use the commands,
    pipelines and scripts both provide, with keys grouped per slot (``slot_of``)."""
    if cluster or "+cluster://" in url:
        rc: RedisCluster[bytes] = RedisCluster.from_url(
            _plain_url(url), decode_responses=False, health_check_interval=30
        )
        return rc  # type: ignore[return-value]
    return redis.Redis.from_url(url, decode_responses=False, health_check_interval=30)


def is_cluster(client: object) -> bool:
    return isinstance(client, RedisCluster)


def slot_of(client: object) -> Callable[[str], int]:
    """The hash slot of a key on a cluster; 0 for every key on a single Redis (one group)."""
    if is_cluster(client):
        return slot
    return lambda k: 0


def neo4j_driver(uri: str, user: str, password: str) -> Neo4jDriver:
    auth = (user, password) if password else None
    return neo4j.GraphDatabase.driver(uri, auth=auth)


def firestore_client(project_id: str) -> FirestoreClient:
    return firestore.Client(project=project_id)
