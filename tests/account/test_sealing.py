"""Crypto-shredding of the event log on the real Firestore and Pub/Sub emulators: posts are
written sealed (event log and message), consumers open them through consume(), and once the
author's data key is destroyed every copy is a tombstone: skipped, acked, never dead-lettered."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

import pytest
import redis as redis_lib
from google.cloud import firestore

from devstack import services
from shared import events, ids, sealing
from shared.adapters import kms
from shared.adapters import redis_keys as keys_schema
from shared.adapters.data_keys import ERASED, KEYS, FirestoreDataKeys, erased_marker_id
from shared.adapters.firestore_posts import EVENTS, USERS, FirestorePosts
from shared.adapters.redis_key_epoch import RedisErasureEpoch
from shared.domain import errors
from shared.entrypoints.pubsub import consumer
from tests.conftest import PROJECT_ID

pytestmark = pytest.mark.integration

SECRET = "my very personal words 🤫"


@pytest.fixture
def db(clean_firestore: None) -> firestore.Client:
    return firestore.Client(project=PROJECT_ID)


@pytest.fixture
def keys(db: firestore.Client) -> FirestoreDataKeys:
    return FirestoreDataKeys(db, kms.LocalKeyWrapper(PROJECT_ID))


class Recorder:
    """The RawPublisher of dead letters, recording what would have been dead-lettered."""

    def __init__(self) -> None:
        self.dead: list[tuple[str, bytes]] = []

    def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None:
        self.dead.append((topic, data))


def push_of(data: bytes, attrs: dict[str, str]) -> dict[str, Any]:
    """The CloudEvent functions-framework builds from a Pub/Sub push."""
    msg = {"data": base64.b64encode(data).decode(), "attributes": attrs, "messageId": "1"}
    return {"data": {"message": msg}}


def created(text: str = SECRET, author: str = "uid-s") -> events.PostCreated:
    pid = ids.new_id()
    return events.PostCreated(
        event_id=f"post-created-{pid}", occurred_ms=ids.timestamp_ms(pid), post_id=str(pid),
        author_id=author, text=text, created_ms=ids.timestamp_ms(pid),
        media=[{"id": "a" * 32, "variants": {}}],
    )  # fmt: skip


def test_seal_and_open_round_trip_and_tamper(keys: FirestoreDataKeys) -> None:
    event = created()
    sealed = sealing.seal_event(event, keys)
    data, _ = events.encode(sealed)
    assert SECRET.encode() not in data and b"a" * 32 not in data
    assert b'"text"' not in data and b'"media"' not in data
    wire = events.decode(data)
    assert sealing.open_event(wire, keys) == event
    # An unsealed event (pre-issue-23) opens as itself; its wire form is unchanged.
    assert sealing.open_event(event, keys) is event
    # The payload is bound to its event: moved onto another post, it does not open.
    assert isinstance(wire, events.PostCreated)
    moved = wire.model_copy(update={"event_id": "post-created-1", "post_id": "1"})
    with pytest.raises(sealing.UnreadableEvent):
        sealing.open_event(moved, keys)
    # Another user's key does not open it either.
    other = wire.model_copy(update={"author_id": "uid-other"})
    keys.key_for_sealing("uid-other")
    with pytest.raises(sealing.UnreadableEvent):
        sealing.open_event(other, keys)


def test_keys_are_wrapped_unique_and_destroyed(db: firestore.Client, keys: FirestoreDataKeys):
    k1 = keys.key_for_sealing("uid-k")
    assert keys.key_for_sealing("uid-k") == k1 and len(k1) == 32
    assert keys.key_for_sealing("uid-k2") != k1
    doc = db.collection(KEYS).document("uid-k").get().to_dict() or {}
    assert doc["kek"] == kms.LOCAL_KEK_NAME and k1 not in bytes(doc["wrapped"])
    # Another process (no cache) unwraps the same key.
    assert FirestoreDataKeys(db, kms.LocalKeyWrapper(PROJECT_ID)).key_for_opening("uid-k") == k1
    assert keys.destroy("uid-k") is True
    assert keys.destroy("uid-k") is False  # idempotent
    assert keys.key_for_opening("uid-k") is None
    assert not db.collection(KEYS).document("uid-k").get().exists
    marker = db.collection(ERASED).document(erased_marker_id("uid-k")).get()
    assert marker.exists and "uid-k" not in json.dumps(marker.to_dict(), default=str)
    # Nothing can seal a new event for an erased account.
    with pytest.raises(errors.PermissionDenied):
        keys.key_for_sealing("uid-k")


class CountingEpoch:
    """The real Redis epoch, with its reads counted (the cost of a cache hit)."""

    def __init__(self, real: RedisErasureEpoch) -> None:
        self.real, self.reads = real, 0

    def current(self) -> int | None:
        self.reads += 1
        return self.real.current()

    def bump(self) -> int:
        return self.real.bump()


def test_a_destroyed_key_stops_opening_in_every_process_at_once(
    db: firestore.Client, redis_client: redis_lib.Redis[bytes]
) -> None:
    """Three warm processes with the key cached for an hour: the eraser's (a), another (b)
    sharing the Redis erasure epoch, and one without it (c: the old bound, the TTL)."""
    epoch_a = RedisErasureEpoch(redis_client)
    epoch_b = CountingEpoch(RedisErasureEpoch(redis_client))
    wrap = kms.LocalKeyWrapper(PROJECT_ID)
    a = FirestoreDataKeys(db, wrap, ttl_s=3600, epoch=lambda: epoch_a)
    b = FirestoreDataKeys(db, wrap, ttl_s=3600, epoch=lambda: epoch_b)
    c = FirestoreDataKeys(db, wrap, ttl_s=3600)
    key, other = a.key_for_sealing("uid-w"), a.key_for_sealing("uid-o")
    event = sealing.seal_event(created(author="uid-w"), a)
    assert b.key_for_opening("uid-w") == key == c.key_for_opening("uid-w")
    assert b.key_for_opening("uid-o") == other
    reads = epoch_b.reads
    for _ in range(5):  # a cache hit: one epoch read, nothing else
        assert b.key_for_opening("uid-w") == key
    assert epoch_b.reads == reads + 5
    assert a.destroy("uid-w") is True
    # At once in b, though its copy had an hour left; c keeps its copy until its TTL.
    assert b.key_for_opening("uid-w") is None
    assert sealing.open_event(event, b) is sealing.SHREDDED
    assert c.key_for_opening("uid-w") == key
    with pytest.raises(errors.PermissionDenied):
        b.key_for_sealing("uid-w")
    # Everyone else's keys still open (read again once: any erasure invalidates every copy).
    assert b.key_for_opening("uid-o") == other and b.key_for_opening("uid-o") == other
    assert redis_client.get(keys_schema.erasure_epoch()) is not None


def test_posting_and_opening_go_on_while_redis_is_down(
    db: firestore.Client, redis_client: redis_lib.Redis[bytes]
) -> None:
    """The epoch lives in Redis; a Redis outage must not stop posts (the outage drill saw 500s):
    keys are then cached for their TTL, as before the epoch, and checked again after it."""
    port = services.free_port()  # nothing listens here: Redis is down for this process
    down = RedisErasureEpoch(redis_lib.Redis(port=port, socket_connect_timeout=0.5))
    wrap = kms.LocalKeyWrapper(PROJECT_ID)
    a = FirestoreDataKeys(db, wrap, ttl_s=3600, epoch=lambda: down)
    assert down.current() is None
    key = a.key_for_sealing("uid-down")  # a new key is made and kept without the epoch
    event = sealing.seal_event(created(author="uid-down"), a)
    assert sealing.open_event(event, a) is not sealing.SHREDDED
    assert a.key_for_opening("uid-down") == key  # the cached copy, trusted for its TTL
    # Redis answers again: the copy cached while the epoch was unknown is checked, and a
    # deletion made meanwhile takes effect.
    up = RedisErasureEpoch(redis_client)
    b = FirestoreDataKeys(db, wrap, ttl_s=3600, epoch=lambda: up)
    assert b.destroy("uid-down") is True
    down._r = redis_client  # the same process, its Redis back
    assert a.key_for_opening("uid-down") is None


def test_with_a_reused_epoch_reading_a_deletion_takes_effect_within_it(
    db: firestore.Client, redis_client: redis_lib.Redis[bytes]
) -> None:
    """DATA_KEY_EPOCH_EVERY_MS > 0: one Redis GET per that many ms per process, a deletion
    stops every instance within that time instead of at once."""
    epoch = CountingEpoch(RedisErasureEpoch(redis_client))
    wrap = kms.LocalKeyWrapper(PROJECT_ID)
    a = FirestoreDataKeys(db, wrap, ttl_s=3600, epoch=lambda: RedisErasureEpoch(redis_client))
    b = FirestoreDataKeys(db, wrap, ttl_s=3600, epoch=lambda: epoch, epoch_every_s=0.5)
    key = a.key_for_sealing("uid-r")
    assert b.key_for_opening("uid-r") == key
    reads = epoch.reads
    for _ in range(20):
        assert b.key_for_opening("uid-r") == key
    assert epoch.reads == reads  # the reading is reused: no Redis round trip per use
    a.destroy("uid-r")
    deadline = time.monotonic() + 5
    while b.key_for_opening("uid-r") is not None:
        assert time.monotonic() < deadline, "still opening 5 s after the deletion"
        time.sleep(0.05)
    assert time.monotonic() - (deadline - 5) < 1.5  # within the 0.5 s, with slack for the CPU


def test_posts_are_sealed_in_the_log_and_opened_by_consumers(
    db: firestore.Client, keys: FirestoreDataKeys
) -> None:
    store = FirestorePosts(db, keys=lambda: keys)
    post, event, was_created = store.create_post("uid-p", SECRET, "key-1", ids.new_id())
    assert was_created and post.text == SECRET  # the read model (erased on deletion) is plain
    assert event.sealed is not None and event.text == ""
    log_doc = (
        db.collection(USERS).document("uid-p").collection(EVENTS).document(event.event_id).get()
    )
    assert SECRET not in json.dumps(log_doc.to_dict(), default=str, ensure_ascii=False)
    # The keyed replay still compares with the first text (the adapter opens the log's event).
    _, again, was_created = store.create_post("uid-p", SECRET, "key-1", ids.new_id())
    assert not was_created and again.text == SECRET

    seen: list[events.Event] = []
    dead = Recorder()
    data, attrs = events.encode(event)  # what Pub/Sub carries
    assert SECRET.encode() not in data
    consumer.consume(push_of(data, attrs), "fanout_planner", seen.append, dead, keys=lambda: keys)
    assert [e.text for e in seen if isinstance(e, events.PostCreated)] == [SECRET]

    # Shredded: three redeliveries are three tombstones, each skipped and acked (no raise),
    # none dead-lettered, the handler never called.
    keys.destroy("uid-p")
    fresh = FirestoreDataKeys(db, kms.LocalKeyWrapper(PROJECT_ID))  # another instance
    for _ in range(3):
        consumer.consume(
            push_of(data, attrs), "fanout_planner", seen.append, dead, keys=lambda: fresh
        )
    assert len(seen) == 1 and dead.dead == []
    # A tampered payload is poison, not a tombstone: dead-lettered.
    keys2 = FirestoreDataKeys(db, kms.LocalKeyWrapper(PROJECT_ID))
    ev2 = sealing.seal_event(created(author="uid-q"), keys2)
    raw = json.loads(events.encode(ev2)[0])
    raw["sealed"] = raw["sealed"][:-4] + "AAAA"
    bad = json.dumps(raw).encode()
    consumer.consume(push_of(bad, attrs), "fanout_planner", seen.append, dead, keys=lambda: keys2)
    assert len(seen) == 1 and [t for t, _ in dead.dead] == ["post-events-dlq"]


def test_local_kek_only_beside_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    assert os.environ.get("FIRESTORE_EMULATOR_HOST")
    assert isinstance(kms.key_wrapper(PROJECT_ID, ""), kms.LocalKeyWrapper)
    monkeypatch.setenv("K_SERVICE", "posts")  # on Cloud Run: never the local key
    with pytest.raises(kms.NoKeyEncryptionKey):
        kms.key_wrapper(PROJECT_ID, "")
    monkeypatch.delenv("K_SERVICE")
    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST")
    with pytest.raises(kms.NoKeyEncryptionKey):
        kms.key_wrapper(PROJECT_ID, "")


class FakeKms:
    """Stands in for KeyManagementServiceClient: records the requests (pure request shaping)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def encrypt(self, request: dict[str, Any]) -> Any:
        self.requests.append(request)
        return type("R", (), {"ciphertext": b"W" + request["plaintext"]})()

    def decrypt(self, request: dict[str, Any]) -> Any:
        self.requests.append(request)
        return type("R", (), {"plaintext": request["ciphertext"][1:]})()


def test_cloud_kms_wrapper_sends_the_key_name_and_aad() -> None:
    name = "projects/p/locations/europe-west1/keyRings/kwetter/cryptoKeys/user-data-keys"
    fake = FakeKms()
    w = kms.CloudKmsWrapper(name, client=fake)
    assert w.unwrap(w.wrap(b"k" * 32, b"uid-z"), b"uid-z") == b"k" * 32
    assert [r["name"] for r in fake.requests] == [name, name]
    assert all(r["additional_authenticated_data"] == b"uid-z" for r in fake.requests)


def test_one_off_migration_seals_old_events_in_place(
    db: firestore.Client, keys: FirestoreDataKeys
) -> None:
    from shared.usecases.seal_log import seal_event_log

    old = FirestorePosts(db)  # as before issue 23: no keys, plaintext events
    _, e1, _ = old.create_post("uid-m", SECRET, None, ids.new_id())
    _, e2, _ = old.create_post("uid-m", "second", None, ids.new_id())
    old.delete_post_once(int(e2.post_id))
    assert e1.sealed is None
    report = seal_event_log(old, keys)
    assert (report.sealed, report.nothing_personal, report.already_sealed) == (2, 1, 0)
    docs = list(db.collection(USERS).document("uid-m").collection(EVENTS).stream())
    assert len(docs) == 3
    assert all(SECRET not in str(d.to_dict()) for d in docs)
    # Same event, once opened; the outbox flag kept; a second run changes nothing.
    reread = {e.event_id: e for e in old.iter_events()}
    assert sealing.open_event(reread[e1.event_id], keys) == e1
    assert seal_event_log(old, keys).sealed == 0
    # Erasing the author shreds what the migration sealed.
    keys.destroy("uid-m")
    assert sealing.open_event(reread[e1.event_id], keys) is sealing.SHREDDED
