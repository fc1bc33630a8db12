"""Test session wiring: every real service a test asks for is started here, on free ports.

A fixture that cannot start its service fails the test with the service's own log; nothing is
skipped. Each service starts once per session, lazily, only when some test needs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import pubsub_v1

from devstack import gcs, services
from devstack.pubsub_setup import dlq_subscription
from devstack.stack import LocalStack, Ports

PROJECT_ID = "demo-kwetter-test"

# Functions called in this process verify their caller's token (shared/entrypoints/http/api.py);
# the tests' tokens are the Auth emulator's, accepted only in emulator mode. The emulator's own
# address is set by the fixtures that start one; any value turns the mode on.
os.environ.setdefault("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")


@pytest.fixture(scope="session")
def stack_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="kwetter-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _run(service: services.Service) -> Iterator[services.Service]:
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="session")
def redis_server(stack_dir: Path) -> Iterator[services.Service]:
    port = services.free_port()
    svc = services.redis(port, stack_dir / "redis")
    svc.env["_PORT"] = str(port)
    yield from _run(svc)


@pytest.fixture(scope="session")
def redis_url(redis_server: services.Service) -> str:
    return f"redis://127.0.0.1:{redis_server.env['_PORT']}/0"


@pytest.fixture(scope="session")
def redis_cluster(stack_dir: Path) -> Iterator[services.RedisCluster]:
    """A real 3-master + 3-replica Redis Cluster (issue 19), started once when a test needs it;
    a cluster that does not form fails the test with the nodes' logs."""
    cluster = services.RedisCluster.on_free_ports(stack_dir / "redis-cluster")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def redis_cluster_url(redis_cluster: services.RedisCluster) -> str:
    return redis_cluster.url


@pytest.fixture(scope="session")
def neo4j_uri(stack_dir: Path) -> Iterator[str]:
    if os.environ.get("KWETTER_TEST_NEO4J_URI"):  # an already running server, e.g. a debug session
        yield os.environ["KWETTER_TEST_NEO4J_URI"]
        return
    bolt, http = services.free_port(), services.free_port()
    for _svc in _run(services.neo4j(bolt, http, stack_dir / "neo4j")):
        yield f"bolt://127.0.0.1:{bolt}"


@pytest.fixture(scope="session")
def opensearch_url(stack_dir: Path) -> Iterator[str]:
    """A real single-node OpenSearch (issue 22; devstack.opensearch_dist), started once when a
    test needs it; one that does not come up green fails the test with its log."""
    http, transport = services.free_port(), services.free_port()
    for _ in _run(services.opensearch(http, transport, stack_dir / "opensearch")):
        yield f"http://127.0.0.1:{http}"


@pytest.fixture(scope="session")
def pubsub_emulator(stack_dir: Path) -> Iterator[str]:
    port = services.free_port()
    for _ in _run(services.pubsub(port, stack_dir / "pubsub")):
        host = f"127.0.0.1:{port}"
        os.environ["PUBSUB_EMULATOR_HOST"] = host
        os.environ["GOOGLE_CLOUD_PROJECT"] = PROJECT_ID
        yield host


@pytest.fixture(scope="session")
def firestore_emulator(stack_dir: Path) -> Iterator[str]:
    port = services.free_port()
    for _ in _run(services.firestore(port, stack_dir / "firestore")):
        host = f"127.0.0.1:{port}"
        os.environ["FIRESTORE_EMULATOR_HOST"] = host
        os.environ["GOOGLE_CLOUD_PROJECT"] = PROJECT_ID
        yield host


@pytest.fixture(scope="session")
def auth_emulator(stack_dir: Path) -> Iterator[str]:
    port = services.free_port()
    for _ in _run(services.auth(port, PROJECT_ID, stack_dir / "auth")):
        yield f"127.0.0.1:{port}"


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The whole local platform on free ports, started once for every test that drives it
    through the gateway (e2e, media, web)."""
    workdir = Path(tmp_path_factory.mktemp("stack"))
    saved = dict(os.environ)
    stack = LocalStack(
        workdir, Ports.free(), "demo-kwetter-e2e", persist=False, tick_seconds=1.0,
        # The fuzzing posts far more than a person: the posts limit as it was before the
        # abuse limits (POST_RATE_LIMIT 300 a minute).
        extra_env={"BURST_POST_THRESHOLD": "1000", "POST_RATE_LIMIT": "300"},
    )  # fmt: skip
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


# ---- fake-gcs-server (media, export): one per session -------------------------------------

UPLOADS = "test-uploads"
MEDIA = "test-media"
TOPIC = "media-uploads"
DLQ = "media-uploads-dlq"
PULL_SUB = "media-uploads-test-pull"


@pytest.fixture(scope="session")
def fake_gcs_host(stack_dir: Path, pubsub_emulator: str) -> Iterator[str]:
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    for topic in (TOPIC, DLQ):
        with contextlib.suppress(AlreadyExists):
            publisher.create_topic(name=publisher.topic_path(PROJECT_ID, topic))
    for sub, topic in ((PULL_SUB, TOPIC), (dlq_subscription(DLQ), DLQ)):
        with contextlib.suppress(AlreadyExists):
            subscriber.create_subscription(
                name=subscriber.subscription_path(PROJECT_ID, sub),
                topic=publisher.topic_path(PROJECT_ID, topic),
            )
    port = services.free_port()
    svc = gcs.fake_gcs(
        port, stack_dir / "gcs", pubsub_host=pubsub_emulator, project_id=PROJECT_ID,
        topic=TOPIC, notify_bucket=UPLOADS,
    )  # fmt: skip
    svc.start(timeout=60)
    host = f"http://127.0.0.1:{port}"
    os.environ["STORAGE_EMULATOR_HOST"] = host
    try:
        yield host
    finally:
        svc.stop()
        os.environ.pop("STORAGE_EMULATOR_HOST", None)
