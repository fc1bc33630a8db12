"""POST/GET /v1/me/export on the real services (Neo4j, Redis, Firestore and Pub/Sub emulators,
fake-gcs-server): POST queues an export and publishes ExportRequested on export-requests; the
account exporter function (bootstrap.event_function, through the one consumer) builds it part
by part; polling GET reaches ready and a signed URL to an archive that says what the user did.
One an hour; a POST while one runs answers that one; 3x redelivery makes one archive; a lost
publish is re-published by the outbox relay; nobody gets another's export."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import pubsub_v1, storage

from shared import config
from shared.adapters.firestore_account import FirestoreAccountData
from shared.bootstrap import Container, event_function
from shared.domain import exports
from shared.domain.account import subject_key
from shared.usecases.account import EXPORT_REQUESTS_TOPIC, AccountExporter
from tests.conftest import PROJECT_ID
from tests.media.conftest import fake_gcs_host  # noqa: F401  (fixture)

from .conftest import Api, register

pytestmark = pytest.mark.integration

BUCKET = "acct-exports"


@pytest.fixture
def c(container: Container, fake_gcs_host: str, pubsub_emulator: str) -> Container:  # noqa: F811
    s = container.settings
    settings = config.Settings(
        project_id=PROJECT_ID, neo4j_uri=s.neo4j_uri, redis_url=s.redis_url,
        exports_bucket=BUCKET,
    )  # fmt: skip
    out = Container(
        settings, neo4j_driver=container.neo4j_driver, graph=container.graph,
        redis=container.redis,
    )  # fmt: skip
    out.export_files.ensure_bucket()
    assert os.environ.get("STORAGE_EMULATOR_HOST")
    return out


@pytest.fixture
def requests_sub(pubsub_emulator: str) -> Iterator[str]:
    """A pull subscription on export-requests: what the push subscription would deliver."""
    pub, sub = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = pub.topic_path(PROJECT_ID, EXPORT_REQUESTS_TOPIC)
    with contextlib.suppress(AlreadyExists):
        pub.create_topic(name=topic)
    path = sub.subscription_path(PROJECT_ID, f"exports-{uuid.uuid4().hex[:8]}")
    sub.create_subscription(request={"name": path, "topic": topic, "ack_deadline_seconds": 10})
    yield path
    sub.delete_subscription(request={"subscription": path})


def pull(path: str) -> list[tuple[bytes, dict[str, str]]]:
    sub = pubsub_v1.SubscriberClient()
    resp = sub.pull(
        request={"subscription": path, "max_messages": 50, "return_immediately": True}, timeout=5
    )
    if resp.received_messages:
        sub.acknowledge(
            request={"subscription": path, "ack_ids": [m.ack_id for m in resp.received_messages]}
        )
    return [(m.message.data, dict(m.message.attributes)) for m in resp.received_messages]


def push(data: bytes, attrs: dict[str, str]) -> dict[str, Any]:
    message = {"data": base64.b64encode(data).decode(), "attributes": attrs, "messageId": "1"}
    return {"data": {"message": message}}


def poll_until_ready(api: Api, uid: str, deliver: Any, deadline_s: float = 30) -> list[Any]:
    """GET until ready, delivering what reached the subscription in between; every status seen."""
    seen: list[Any] = []
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        r = api.call("GET", "/v1/me/export", uid)
        assert r.status_code == 200, r.json
        seen.append(r.json)
        if r.json["status"] == "ready":
            return seen
        assert r.json["status"] in ("queued", "building"), r.json
        deliver()
        time.sleep(0.1)
    raise AssertionError(f"export not ready within {deadline_s}s: {seen[-3:]}")


def archive_objects(uid: str) -> list[str]:
    client = storage.Client(project=PROJECT_ID)
    return [b.name for b in client.list_blobs(BUCKET, prefix=f"exports/{subject_key(uid)}/")]


def test_export_archive_matches_what_the_user_did(c: Container, requests_sub: str) -> None:
    api = Api(c, "users")
    exporter_fn = event_function("account_exporter", c)
    register(api, "uid-ex-a", "ex_alice", "Alice")
    register(api, "uid-ex-b", "ex_bob", "Bob")
    register(api, "uid-ex-c", "ex_carol", "Carol")
    assert api.call("PATCH", "/v1/me", "uid-ex-a", json={"bio": "I export ✈"}).status_code == 200
    for follower, followee in (("uid-ex-a", "uid-ex-b"), ("uid-ex-c", "uid-ex-a")):
        c.graph.follow(follower, followee)
    texts = ["first of mine", "second, with ünïcode 🐦"]
    ids = [str(c.posts_service.create("uid-ex-a", t, None)[0].id) for t in texts]
    c.posts_service.create("uid-ex-b", "not alice's", None)
    c.posts_service.delete("uid-ex-a", int(ids[0]))  # a deleted post is listed, marked deleted

    assert api.call("GET", "/v1/me/export", "uid-ex-a").status_code == 404  # none yet
    r = api.call("POST", "/v1/me/export", "uid-ex-a")
    assert r.status_code == 202 and r.json["status"] == "queued", r.json
    assert r.json["parts_done"] == 0 and r.json["parts_total"] == len(exports.PARTS)
    export_id = r.json["export_id"]
    # A POST while it runs answers the running one, not a second export (nor a 429).
    again = api.call("POST", "/v1/me/export", "uid-ex-a")
    assert again.status_code == 202 and again.json["export_id"] == export_id
    assert again.json["status"] in ("queued", "building")

    def deliver() -> None:
        for data, attrs in pull(requests_sub):
            exporter_fn(push(data, attrs))

    seen = poll_until_ready(api, "uid-ex-a", deliver)
    assert seen[0]["status"] == "queued" and seen[-1]["progress"] == 1.0
    assert {s["export_id"] for s in seen} == {export_id}
    r = api.call("GET", "/v1/me/export", "uid-ex-a")
    assert r.status_code == 200 and r.json["status"] == "ready"
    assert "X-Goog-Signature=" in r.json["url"] and r.json["expires_at"].endswith("Z")
    assert "X-Goog-Expires=900" in r.json["url"]  # short-lived: 15 minutes
    later = api.call("POST", "/v1/me/export", "uid-ex-a")
    assert later.status_code == 429 and int(later.headers["Retry-After"]) > 0
    with urllib.request.urlopen(r.json["url"], timeout=30) as resp:
        archive = json.loads(resp.read().decode("utf-8"))

    assert archive["format"] == "kwetter-export/1" and archive["user_id"] == "uid-ex-a"
    assert archive["profile"]["handle"] == "ex_alice" and archive["profile"]["bio"] == "I export ✈"
    assert [p["id"] for p in archive["posts"]] == ids
    assert [p["deleted"] for p in archive["posts"]] == [True, False]
    live = [p["text"] for p in archive["posts"] if not p["deleted"]]
    assert texts[1] in live and "not alice's" not in json.dumps(archive, ensure_ascii=False)
    assert [u["handle"] for u in archive["following"]] == ["ex_bob"]
    assert [u["handle"] for u in archive["followers"]] == ["ex_carol"]
    assert archive["likes"] == [] and archive["media"] == []
    assert "event_log" in archive["also_stored"]
    assert set(exports.PARTS) <= set(archive)
    # Nobody gets someone else's export: the route only ever names the caller's own.
    assert api.call("GET", "/v1/me/export", "uid-ex-b").status_code == 404
    assert api.call("GET", "/v1/me/export", None).status_code == 401
    assert api.call("POST", "/v1/me/export", None).status_code == 401


class Recording:
    """The real Firestore records, with every write's status kept (to see the progress)."""

    def __init__(self, real: FirestoreAccountData) -> None:
        self.real = real
        self.writes: list[tuple[str, int]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def update_export_record(
        self, uid: str, export_id: str, fields: dict[str, Any]
    ) -> dict[str, Any] | None:
        out = self.real.update_export_record(uid, export_id, fields)
        if out is not None:
            self.writes.append((str(out["status"]), int(out.get("parts_done", 0))))
        return out


def test_progress_then_three_redeliveries_make_one_archive(c: Container, requests_sub: str) -> None:
    api = Api(c, "users")
    register(api, "uid-ex-d", "ex_dora", "Dora")
    c.posts_service.create("uid-ex-d", "dora was here", None)
    r = api.call("POST", "/v1/me/export", "uid-ex-d")
    assert r.status_code == 202 and r.json["status"] == "queued"
    messages = pull(requests_sub)
    assert len(messages) == 1
    body = json.loads(messages[0][0])
    assert body["type"] == "ExportRequested" and body["user_id"] == "uid-ex-d"
    assert body["event_id"] == exports.export_event_id("uid-ex-d", r.json["export_id"])
    rec = c.account_data.export_record("uid-ex-d")
    assert rec is not None and rec["published"] is True  # the outbox has nothing left to do

    records = Recording(c.account_data)
    exporter = AccountExporter(
        graph=c.graph, data=c.account_data, records=records, files=c.export_files,
        likes=c.engagement_records, avatars=c.media_repo, publisher=c.publisher,
    )  # fmt: skip
    consume_fn = event_function("account_exporter", Container(c.settings, exporter=exporter))
    consume_fn(push(*messages[0]))
    total = len(exports.PARTS)
    assert records.writes == [
        ("building", 0),
        *[("building", i) for i in range(1, total + 1)],
        ("ready", total),
    ]
    first = c.account_data.export_record("uid-ex-d")
    status = api.call("GET", "/v1/me/export", "uid-ex-d").json
    for _ in range(3):
        consume_fn(push(*messages[0]))
    assert c.account_data.export_record("uid-ex-d") == first  # same status, same times
    assert len(records.writes) == total + 2  # a ready export is not built again
    assert archive_objects("uid-ex-d") == [exports.object_name("uid-ex-d", status["export_id"])]
    after = api.call("GET", "/v1/me/export", "uid-ex-d").json
    assert {k: v for k, v in after.items() if k not in ("url", "expires_at")} == {
        k: v for k, v in status.items() if k not in ("url", "expires_at")
    }


def test_three_redeliveries_while_building_make_one_archive(
    c: Container, requests_sub: str
) -> None:
    """Redeliveries that arrive before the first one finished rebuild the same object."""
    api = Api(c, "users")
    register(api, "uid-ex-g", "ex_gus", "Gus")
    export_id = api.call("POST", "/v1/me/export", "uid-ex-g").json["export_id"]
    (message,) = pull(requests_sub)
    # As if a first delivery died half-way: the record says building, 2 parts done.
    c.account_data.update_export_record(
        "uid-ex-g", export_id, {"status": "building", "parts_done": 2}
    )
    fn = event_function("account_exporter", c)
    for _ in range(3):
        fn(push(*message))
    rec = c.account_data.export_record("uid-ex-g")
    assert rec is not None and rec["status"] == "ready" and rec["parts_done"] == len(exports.PARTS)
    assert archive_objects("uid-ex-g") == [exports.object_name("uid-ex-g", export_id)]


class RefusingPublisher:
    def publish(self, topic: str, event: Any) -> None:
        raise RuntimeError("pub/sub unavailable")


def test_a_lost_publish_is_relayed_by_the_outbox_tick(c: Container, requests_sub: str) -> None:
    api = Api(c, "users")
    register(api, "uid-ex-e", "ex_eve", "Eve")
    down = Container(
        c.settings, neo4j_driver=c.neo4j_driver, graph=c.graph, redis=c.redis,
        publisher=RefusingPublisher(),
    )  # fmt: skip
    r = Api(down, "users").call("POST", "/v1/me/export", "uid-ex-e")
    assert r.status_code == 202 and r.json["status"] == "queued"  # accepted: the outbox has it
    rec = c.account_data.export_record("uid-ex-e")
    assert rec is not None and rec["published"] is False
    assert pull(requests_sub) == []
    assert c.exporter.relay(min_age_ms=10_000) == 0  # too young: its request may still publish
    # 11 s later, the outbox relay function's tick (every relay of TickRelays) publishes it.
    c.account_data.update_export_record(
        "uid-ex-e", str(rec["export_id"]), {"created_ms": int(rec["created_ms"]) - 11_000}
    )
    assert c.outbox_relays.run_once().published >= 1
    assert c.exporter.relay(min_age_ms=0) == 0  # published once
    (message,) = pull(requests_sub)
    event_function("account_exporter", c)(push(*message))
    assert api.call("GET", "/v1/me/export", "uid-ex-e").json["status"] == "ready"


def test_nobody_reads_or_builds_another_users_export(c: Container, requests_sub: str) -> None:
    api = Api(c, "users")
    register(api, "uid-ex-f", "ex_fay", "Fay")
    register(api, "uid-ex-h", "ex_hal", "Hal")
    c.posts_service.create("uid-ex-f", "fay's own words", None)
    assert api.call("POST", "/v1/me/export", "uid-ex-f").status_code == 202
    fn = event_function("account_exporter", c)
    for m in pull(requests_sub):
        fn(push(*m))
    assert api.call("GET", "/v1/me/export", "uid-ex-f").json["status"] == "ready"
    assert api.call("GET", "/v1/me/export", "uid-ex-h").status_code == 404
    # Hal's own export is his, in his own place, and says nothing of Fay.
    hal = api.call("POST", "/v1/me/export", "uid-ex-h").json
    for m in pull(requests_sub):
        fn(push(*m))
    url = api.call("GET", "/v1/me/export", "uid-ex-h").json["url"]
    assert subject_key("uid-ex-h") in url and subject_key("uid-ex-f") not in url
    with urllib.request.urlopen(url, timeout=30) as resp:
        text = resp.read().decode("utf-8")
    assert "fay's own words" not in text and "uid-ex-f" not in text
    assert json.loads(text)["user_id"] == "uid-ex-h" and hal["status"] == "queued"
    # An event naming Hal's export but Fay as the user builds nothing: it is not her export.
    data = json.dumps({
        "type": "ExportRequested", "version": 1, "event_id": "export-forged", "occurred_ms": 1,
        "user_id": "uid-ex-f", "export_id": hal["export_id"], "requested_ms": 1,
    }).encode()  # fmt: skip
    before = c.account_data.export_record("uid-ex-f")
    fn(push(data, {"type": "ExportRequested", "version": "1"}))
    assert c.account_data.export_record("uid-ex-f") == before


def test_an_export_of_an_erased_account_builds_nothing(c: Container, requests_sub: str) -> None:
    api = Api(c, "users")
    register(api, "uid-ex-z", "ex_zed", "Zed")
    export_id = api.call("POST", "/v1/me/export", "uid-ex-z").json["export_id"]
    (message,) = pull(requests_sub)
    c.graph.mark_deleted("uid-ex-z")  # DELETE /v1/me hides the account at once
    event_function("account_exporter", c)(push(*message))
    rec = c.account_data.export_record("uid-ex-z")
    assert rec is not None and rec["status"] == "failed" and rec["reason"] == "account_gone"
    assert archive_objects("uid-ex-z") == []
    # Once the eraser removed the record, a redelivery writes nothing back.
    c.account_data.delete_export_record("uid-ex-z")
    event_function("account_exporter", c)(push(*message))
    assert c.account_data.export_record("uid-ex-z") is None
    assert export_id
