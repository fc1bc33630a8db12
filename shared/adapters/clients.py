"""The store clients, built here so that nothing outside adapters imports a store library.

shared/bootstrap.py calls these once per process; the types are named here for its annotations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import neo4j
import redis
from google.cloud import firestore

if TYPE_CHECKING:
    RedisClient: TypeAlias = redis.Redis[bytes]
else:
    RedisClient = redis.Redis
Neo4jDriver: TypeAlias = neo4j.Driver
FirestoreClient: TypeAlias = firestore.Client


def redis_client(url: str) -> RedisClient:
    return redis.Redis.from_url(url, decode_responses=False, health_check_interval=30)


def neo4j_driver(uri: str, user: str, password: str) -> Neo4jDriver:
    auth = (user, password) if password else None
    return neo4j.GraphDatabase.driver(uri, auth=auth)


def firestore_client(project_id: str) -> FirestoreClient:
    return firestore.Client(project=project_id)
