"""Test session wiring: every real service a test asks for is started here, on free ports.

A fixture that cannot start its service fails the test with the service's own log; nothing is
skipped. Each service starts once per session, lazily, only when some test needs it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import services
from devstack.stack import LocalStack, Ports

PROJECT_ID = "demo-kwetter-test"

# The addresses this session's own services export (set by their fixtures), and, once the
# whole local platform runs, the environment from before it started and the keys it set.
# LocalStack.start exports its addresses into this process, so without ``_emulator_env``
# every test after the first that drives the stack would talk to the stack's emulators while
# its fixtures wipe and set up the session's: the result would depend on the test order.
STARTED_ENV: dict[str, str] = {"GOOGLE_CLOUD_PROJECT": PROJECT_ID}
_BEFORE_STACK: dict[str, str] = {}
_STACK_ENV: dict[str, str] = {}

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
        os.environ["PUBSUB_EMULATOR_HOST"] = STARTED_ENV["PUBSUB_EMULATOR_HOST"] = host
        os.environ["GOOGLE_CLOUD_PROJECT"] = PROJECT_ID
        yield host


@pytest.fixture(scope="session")
def firestore_emulator(stack_dir: Path) -> Iterator[str]:
    port = services.free_port()
    for _ in _run(services.firestore(port, stack_dir / "firestore")):
        host = f"127.0.0.1:{port}"
        os.environ["FIRESTORE_EMULATOR_HOST"] = STARTED_ENV["FIRESTORE_EMULATOR_HOST"] = host
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
    # LocalStack.start exported its addresses into this process: take them back at once, so a
    # session fixture set up later talks to the session's services; tests that drive the
    # stack get its addresses from _emulator_env.
    os.environ.clear()
    os.environ.update(saved)
    _BEFORE_STACK.update(saved)
    _STACK_ENV.update(stack.addresses())
    try:
        yield stack
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
        _STACK_ENV.clear()


@pytest.fixture(autouse=True)
def _emulator_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the services it asked for: the stack's addresses when it drives the
    local platform, else the session's own (what the environment was before the stack)."""
    if "stack" in request.fixturenames:
        # A drill's own stack (tests/faults/harness.py): its addresses and settings, undone
        # after the test whatever the test adds (harness.container updates the environment).
        drills: LocalStack = request.getfixturevalue("stack")
        for key, value in {**drills.addresses(), **drills.env()}.items():
            monkeypatch.setenv(key, value)
        return
    if not _STACK_ENV:
        return  # the platform has not started
    if "local_stack" in request.fixturenames:
        for key, value in _STACK_ENV.items():
            monkeypatch.setenv(key, value)
        return
    for key in _STACK_ENV:
        own = STARTED_ENV.get(key, _BEFORE_STACK.get(key))
        if own is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, own)
