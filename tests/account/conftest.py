"""Fixtures of the account tests (issue 23): the users router on a container with real Neo4j,
Redis (profile cards, write limits), Firestore and Pub/Sub emulators; every store wiped per test."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import flask
import neo4j
import pytest
import redis as redis_lib

from shared import config
from shared.adapters.neo4j_graph import Neo4jGraph
from shared.bootstrap import Container, http_function
from tests.conftest import PROJECT_ID
from tests.graph.conftest import neo4j_driver, social_topic, wipe  # noqa: F401  (fixtures)
from tests.identity import identity_headers


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis_lib.Redis[bytes]]:
    client = redis_lib.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def clean_firestore(firestore_emulator: str) -> None:
    url = (
        f"http://{firestore_emulator}/emulator/v1/projects/{PROJECT_ID}"
        "/databases/(default)/documents"
    )
    urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=30).read()


@pytest.fixture
def container(
    neo4j_driver: neo4j.Driver,  # noqa: F811
    neo4j_uri: str,
    redis_url: str,
    redis_client: redis_lib.Redis[bytes],
    social_topic: str,  # noqa: F811
    clean_firestore: None,
) -> Iterator[Container]:
    wipe(neo4j_driver)
    settings = config.Settings(neo4j_uri=neo4j_uri, redis_url=redis_url, project_id=PROJECT_ID)
    c = Container(
        settings, neo4j_driver=neo4j_driver, graph=Neo4jGraph(neo4j_driver, "neo4j"),
        redis=redis_client,
    )  # fmt: skip
    yield c


class Api:
    """One HTTP function's router (bootstrap.http_function: write limits included) behind a
    Flask test client, called as a given user the way API Gateway calls it."""

    def __init__(self, c: Container, name: str) -> None:
        handle = http_function(name, c)
        app = flask.Flask(f"{name}-test")
        app.add_url_rule(
            "/<path:_p>", "all", lambda _p: handle(flask.request),
            methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        )  # fmt: skip
        self.client = app.test_client()

    def call(self, method: str, path: str, uid: str | None = None, **kw: Any) -> Any:
        headers = identity_headers(uid) if uid else {}
        return self.client.open(path, method=method, headers=headers, **kw)


@pytest.fixture
def users_api(container: Container) -> Api:
    return Api(container, "users")


def register(api: Api, uid: str, handle: str, name: str = "Some One") -> Any:
    r = api.call("POST", "/v1/users", uid, json={"handle": handle, "display_name": name})
    assert r.status_code in (200, 201), r.json
    return r.json
