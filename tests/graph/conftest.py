"""Fixtures of the graph tests: one driver per session, an empty database per test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask
import neo4j
import pytest

from devstack.services import REPO
from shared import config
from shared.adapters.neo4j_graph import Neo4jGraph
from shared.bootstrap import Container
from shared.entrypoints.http import users as users_http
from shared.entrypoints.http.api import Router
from shared.migrate import migrate
from shared.usecases.users import SOCIAL_EVENTS_TOPIC, UsersService
from tests.identity import identity_headers

REED98 = Path(REPO) / "data" / "socfb-Reed98.edges"


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_uri: str) -> Iterator[neo4j.Driver]:
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=None) as driver:
        # The deploy step, once: wiping nodes between tests leaves constraints and indexes.
        migrate(Container(config.Settings(neo4j_uri=neo4j_uri), neo4j_driver=driver))
        yield driver


def wipe(driver: neo4j.Driver) -> None:
    """MATCH (n) DETACH DELETE n, in batches so a benchmark-sized leftover cannot exhaust memory."""
    with driver.session(database="neo4j") as s:
        s.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS").consume()
        s.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS").consume()


@pytest.fixture
def graph(neo4j_driver: neo4j.Driver) -> Neo4jGraph:
    wipe(neo4j_driver)
    return Neo4jGraph(neo4j_driver, "neo4j")


class NoPublisher:
    """For use cases tested where nothing gets as far as publishing."""

    def publish(self, topic: str, event: object) -> None:
        raise AssertionError(f"unexpected publish to {topic}: {event}")


@pytest.fixture
def service(graph: Neo4jGraph) -> UsersService:
    """The users use cases on the graph alone (no post store, no avatars, no Pub/Sub)."""
    return UsersService(graph, NoPublisher())


def userinfo(uid: str) -> dict[str, str]:
    """What the gateway sends about a caller: the identity header and the caller's own token,
    which the functions verify since issue 16 (tests/identity.py)."""
    return identity_headers(uid)


class Api:
    """The users router behind a Flask test client, called as a given user."""

    def __init__(self, app: flask.Flask) -> None:
        self.client = app.test_client()

    def call(self, method: str, path: str, uid: str | None = None, **kw: Any) -> Any:
        headers = userinfo(uid) if uid else {}
        return self.client.open(path, method=method, headers=headers, **kw)


def app_for(router: Router) -> flask.Flask:
    app = flask.Flask("users-test")

    @app.route("/<path:_p>", methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"])
    def dispatch(_p: str) -> flask.Response:
        return router.dispatch(flask.request)

    return app


@pytest.fixture(scope="session")
def social_topic(pubsub_emulator: str) -> str:
    from google.api_core.exceptions import AlreadyExists
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    path = publisher.topic_path(config.load().project_id, SOCIAL_EVENTS_TOPIC)
    with contextlib.suppress(AlreadyExists):
        publisher.create_topic(request={"name": path})
    return str(path)


@pytest.fixture
def social_subscription(social_topic: str) -> Iterator[str]:
    from google.cloud import pubsub_v1

    subscriber = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(config.load().project_id, f"graph-{uuid.uuid4().hex[:8]}")
    subscriber.create_subscription(request={"name": path, "topic": social_topic})
    yield path
    subscriber.delete_subscription(request={"subscription": path})


@pytest.fixture
def container(
    graph: Neo4jGraph, neo4j_uri: str, social_topic: str, firestore_emulator: str
) -> Container:
    # The graph fixture's (wiped, schema ready) instance stands in for the lazy one.
    return Container(config.Settings(neo4j_uri=neo4j_uri), neo4j_driver=graph.driver, graph=graph)


@pytest.fixture
def api(container: Container) -> Api:
    return Api(app_for(users_http.router(container.users)))
