"""Media fixtures: a real fake-gcs-server publishing to the real Pub/Sub emulator.

fake-gcs-server is built from the Go module proxy on first use (cached in .local/bin) and
started once per session. It publishes OBJECT_FINALIZE of the uploads bucket to the
``media-uploads`` topic, which must exist before the first upload.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask
import pytest
import requests
from google.api_core.exceptions import AlreadyExists
from google.cloud import pubsub_v1
from PIL import Image

from devstack import gcs, services
from devstack.pubsub_setup import dlq_subscription
from shared import config
from shared.bootstrap import Container
from shared.entrypoints.http import media
from shared.entrypoints.pubsub.media_processor import handle_notification
from tests.conftest import PROJECT_ID, STARTED_ENV
from tests.identity import identity_headers

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
    # Its own folder: a test module elsewhere that imports this fixture gets a server of its
    # own (a fixture imported into a module is a separate definition), never a shared folder.
    workdir = Path(tempfile.mkdtemp(prefix="gcs-", dir=stack_dir))
    svc = gcs.fake_gcs(
        port, workdir, pubsub_host=pubsub_emulator, project_id=PROJECT_ID,
        topic=TOPIC, notify_bucket=UPLOADS,
    )  # fmt: skip
    svc.start(timeout=60)
    host = f"http://127.0.0.1:{port}"
    os.environ["STORAGE_EMULATOR_HOST"] = STARTED_ENV["STORAGE_EMULATOR_HOST"] = host
    try:
        yield host
    finally:
        svc.stop()
        os.environ.pop("STORAGE_EMULATOR_HOST", None)


@pytest.fixture(scope="session")
def media_c(fake_gcs_host: str, firestore_emulator: str, redis_url: str) -> Container:
    """The container the media functions build, on the emulators and the test buckets."""
    settings = config.Settings(
        project_id=PROJECT_ID, redis_url=redis_url, uploads_bucket=UPLOADS, media_bucket=MEDIA,
        media_public_base_url=f"{fake_gcs_host}/{MEDIA}",
    )  # fmt: skip
    c = Container(settings)
    c.media_storage.ensure_buckets()
    return c


def notify(c: Container, data: bytes, attributes: dict[str, str]) -> str:
    """Hand a notification to the media_processor's entry, as the push subscription does."""
    return handle_notification(data, attributes, c.media_processor, c.publisher)


@dataclass
class Api:
    client: Any

    def call(self, method: str, path: str, uid: str | None, body: Any = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}))
        if uid is not None:
            headers |= identity_headers(uid)
        if body is not None:
            kw["json"] = body
        return self.client.open(path, method=method, headers=headers, **kw)


@pytest.fixture(scope="session")
def api(media_c: Container) -> Api:
    router = media.router(media_c.media_service)
    app = flask.Flask("media-test")

    @app.route("/<path:_p>", methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"])
    def all_routes(_p: str) -> flask.Response:
        return router.dispatch(flask.request)

    return Api(app.test_client())


def _pull_request(path: str) -> dict[str, Any]:
    # Deprecated in GCP but honoured by the emulator: an empty pull answers at once.
    return {"subscription": path, "max_messages": 50, "return_immediately": True}


def wait_notification(object_name: str, timeout: float = 15.0) -> tuple[bytes, dict[str, str]]:
    """The OBJECT_FINALIZE fake-gcs-server published for ``object_name`` (acked)."""
    subscriber = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(PROJECT_ID, PULL_SUB)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resp = subscriber.pull(request=_pull_request(path), timeout=5)
        ack, found = [], None
        for m in resp.received_messages:
            ack.append(m.ack_id)
            if m.message.attributes.get("objectId") == object_name and found is None:
                found = (bytes(m.message.data), dict(m.message.attributes))
        if ack:
            subscriber.acknowledge(subscription=path, ack_ids=ack)
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no notification for {object_name} within {timeout}s")


def pull_dead_letters(timeout: float = 10.0) -> list[tuple[bytes, dict[str, str]]]:
    subscriber = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(PROJECT_ID, dlq_subscription(DLQ))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resp = subscriber.pull(request=_pull_request(path), timeout=5)
        if resp.received_messages:
            subscriber.acknowledge(
                subscription=path, ack_ids=[m.ack_id for m in resp.received_messages]
            )
            return [(bytes(m.message.data), dict(m.message.attributes))
                    for m in resp.received_messages]  # fmt: skip
        time.sleep(0.1)
    return []


def image_bytes(fmt: str, size: tuple[int, int] = (1600, 900), **save: Any) -> bytes:
    im = Image.new("RGB", size)
    # A gradient, not a flat colour: the encoders have real work and the variants real content.
    px = im.load()
    assert px is not None
    w, h = size
    for x in range(0, w, max(1, w // 64)):
        for y in range(0, h, max(1, h // 64)):
            px[x, y] = (x * 255 // w, y * 255 // h, 128)
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


Uploader = Callable[..., tuple[str, str]]


@pytest.fixture
def upload(api: Api) -> Uploader:
    """POST /v1/media then PUT the bytes to the session URL, as a browser does."""

    def run(
        uid: str, data: bytes, content_type: str = "image/png", purpose: str = "post",
        declared_size: int | None = None, alt: str = "",
    ) -> tuple[str, str]:  # fmt: skip
        resp = api.call(
            "POST", "/v1/media", uid,
            {"content_type": content_type, "byte_size": declared_size or len(data),
             "purpose": purpose, "alt": alt},
            headers={"Origin": "http://localhost:5173"},
        )  # fmt: skip
        assert resp.status_code == 201, resp.get_json()
        body = resp.get_json()
        put = requests.put(
            body["upload_url"], data=data, timeout=30,
            headers={"Content-Type": content_type, "Origin": "http://localhost:5173"},
        )  # fmt: skip
        assert put.status_code in (200, 201), put.text
        return body["media_id"], f"uploads/{body['media_id']}"

    return run
