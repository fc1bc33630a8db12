"""The deployable functions themselves, under functions-framework, on the real emulators.

fake-gcs-server publishes OBJECT_FINALIZE to the Pub/Sub emulator, which pushes it to the
media_processor function (functions/media_processor/main.py) exactly as in GCP; the browser's
side is played against the media HTTP function. Nothing here calls the processor directly.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from google.cloud import pubsub_v1

from devstack import services
from tests.conftest import PROJECT_ID
from tests.identity import identity_headers
from tests.media.conftest import (
    MEDIA,
    TOPIC,
    UPLOADS,
    image_bytes,
    pull_dead_letters,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PUSH_SUB = "media-processor-push-test"


def _function(name: str, port: int, workdir: Path, env: dict[str, str]) -> services.Service:
    cmd = [
        sys.executable, "-m", "functions_framework", "--target", name,
        "--source", str(REPO / "functions" / name / "main.py"),
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    return services.Service(f"fn-{name}", cmd, lambda: services.port_open(port), workdir, env)


@pytest.fixture(scope="module")
def functions(
    stack_dir: Path, fake_gcs_host: str, firestore_emulator: str, pubsub_emulator: str,
    redis_url: str, media_c: object,
) -> Iterator[dict[str, str]]:  # fmt: skip
    env = {
        "GOOGLE_CLOUD_PROJECT": PROJECT_ID, "PUBSUB_EMULATOR_HOST": pubsub_emulator,
        "FIRESTORE_EMULATOR_HOST": firestore_emulator, "STORAGE_EMULATOR_HOST": fake_gcs_host,
        "REDIS_URL": redis_url, "UPLOADS_BUCKET": UPLOADS, "MEDIA_BUCKET": MEDIA,
        "MEDIA_PUBLIC_BASE_URL": f"{fake_gcs_host}/{MEDIA}", "KWETTER_LOCAL": "1",
        "PYTHONPATH": str(REPO),
    }  # fmt: skip
    ports = {"media": services.free_port(), "media_processor": services.free_port()}
    started = []
    subscriber = pubsub_v1.SubscriberClient()
    sub_path = subscriber.subscription_path(PROJECT_ID, PUSH_SUB)
    try:
        for name, port in ports.items():
            svc = _function(name, port, stack_dir / "media-functions", env)
            svc.start(timeout=60)
            started.append(svc)
        endpoint = (
            f"http://127.0.0.1:{ports['media_processor']}/projects/{PROJECT_ID}/topics/{TOPIC}"
        )
        subscriber.create_subscription(
            request={
                "name": sub_path,
                "topic": f"projects/{PROJECT_ID}/topics/{TOPIC}",
                "push_config": {"push_endpoint": endpoint},
                "ack_deadline_seconds": 60,
            }
        )
        yield {n: f"http://127.0.0.1:{p}" for n, p in ports.items()}
    finally:
        # Later tests call the processor themselves: nothing else may consume the topic then.
        with contextlib.suppress(Exception):
            subscriber.delete_subscription(subscription=sub_path)
        for svc in started:
            svc.stop()


def _headers(uid: str) -> dict[str, str]:
    return identity_headers(uid) | {"Origin": "http://localhost:5173"}


def _wait_status(base: str, uid: str, media_id: str, timeout: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, object] = requests.get(
            f"{base}/v1/media/{media_id}", headers=_headers(uid), timeout=10
        ).json()
        if body["status"] != "pending":
            return body
        time.sleep(0.2)
    raise AssertionError(f"{media_id} still pending after {timeout}s")


@pytest.mark.parametrize("attempt", ["cold", "warm"])
def test_upload_to_ready_through_the_deployable_functions(
    functions: dict[str, str], attempt: str
) -> None:
    uid = f"u-{uuid.uuid4().hex[:12]}"
    data = image_bytes("JPEG", (1300, 700))
    t0 = time.monotonic()
    created = requests.post(
        f"{functions['media']}/v1/media", headers=_headers(uid), timeout=10,
        json={"content_type": "image/jpeg", "byte_size": len(data), "purpose": "post"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    put = requests.put(
        body["upload_url"], data=data, headers={"Content-Type": "image/jpeg"}, timeout=30
    )
    assert put.status_code == 200

    status = _wait_status(functions["media"], uid, body["media_id"])
    elapsed = time.monotonic() - t0

    assert status["status"] == "ready", status
    print(f"\n{attempt}: {len(data)} B JPEG 1300x700, POST to ready via push: {elapsed:.2f}s")
    bucket = f"{os.environ['STORAGE_EMULATOR_HOST']}/{MEDIA}/m/{body['media_id']}"
    for label in ("400", "1200"):
        assert requests.get(f"{bucket}/{label}.webp", timeout=10).status_code == 200


def test_a_malformed_message_on_the_topic_is_dead_lettered(functions: dict[str, str]) -> None:
    pull_dead_letters(timeout=0.5)  # drain
    publisher = pubsub_v1.PublisherClient()
    topic = publisher.topic_path(PROJECT_ID, TOPIC)
    publisher.publish(topic, b"{broken", eventType="OBJECT_FINALIZE").result(timeout=10)
    letters = pull_dead_letters(timeout=20)
    assert [d for d, _ in letters] == [b"{broken"]
    assert letters[0][1]["rejected_by"] == "media_processor"
