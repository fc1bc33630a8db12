"""The posts HTTP routes and the outbox, on the real Firestore and Pub/Sub emulators."""

from __future__ import annotations

import uuid
from concurrent.futures import Future
from typing import Any

import pytest

from shared import events, ids
from shared.adapters.firestore_posts import FirestorePosts
from shared.domain.posts import PostEvent
from shared.entrypoints.http.posts import router
from shared.ports import EventPublisher, RateLimiter
from shared.usecases.outbox import OutboxRelay
from shared.usecases.posts import PostsService
from tests.posts.conftest import Client, Limiters, PubSub

pytestmark = pytest.mark.integration


class BrokenPublisher:
    """Pub/Sub refusing every publish, as during an outage (the one injected failure)."""

    def __init__(self) -> None:
        self.attempts = 0

    def publish(self, topic: str, event: events._Event) -> None:
        self.attempts += 1
        raise ConnectionError("pubsub unavailable")

    def publish_async(self, topic: str, event: PostEvent) -> Future[str]:
        self.attempts += 1
        future: Future[str] = Future()
        future.set_exception(ConnectionError("pubsub unavailable"))
        return future


def _client(
    store: FirestorePosts,
    publisher: EventPublisher,
    topic: str,
    limiter: RateLimiter | None = None,
) -> Client:
    service = PostsService(store, publisher, topic=topic, limiter=limiter)
    return Client(router(service))


def test_create_get_delete_and_events_published(store: FirestorePosts, pubsub: PubSub) -> None:
    topic = pubsub.topic()
    sub = pubsub.subscription(topic)
    api = _client(store, pubsub.publisher, topic)

    r = api.call("POST", "/v1/posts", json={"text": "  hello \U0001f30d  "})
    assert r.status_code == 201, r.json
    body = r.json
    assert body["text"] == "hello \U0001f30d" and body["author_id"] == "alice"
    assert isinstance(body["id"], str) and r.headers["Location"] == f"/v1/posts/{body['id']}"
    assert api.call("GET", f"/v1/posts/{body['id']}", uid="bob").json == body

    assert api.call("DELETE", f"/v1/posts/{body['id']}", uid="bob").status_code == 403
    assert api.call("DELETE", f"/v1/posts/{ids.new_id()}").status_code == 404
    assert api.call("DELETE", f"/v1/posts/{body['id']}").status_code == 204
    assert api.call("DELETE", f"/v1/posts/{body['id']}").status_code == 204  # idempotent
    assert api.call("GET", f"/v1/posts/{body['id']}").status_code == 404

    got = pubsub.pull(sub, expect=2)
    assert sorted((e.type, getattr(e, "post_id", None)) for e in got) == [
        ("PostCreated", body["id"]),
        ("PostDeleted", body["id"]),
    ]
    assert store.unpublished_events(10) == []  # both marked published by the request


def test_idempotency_key_replay_returns_200_with_same_post(
    store: FirestorePosts, pubsub: PubSub
) -> None:
    topic = pubsub.topic()
    sub = pubsub.subscription(topic)
    api = _client(store, pubsub.publisher, topic)
    headers = {"Idempotency-Key": "compose-7f3a"}
    first = api.call("POST", "/v1/posts", json={"text": "once"}, headers=headers)
    second = api.call("POST", "/v1/posts", json={"text": "once"}, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json == second.json
    other = api.call("POST", "/v1/posts", json={"text": "changed"}, headers=headers)
    assert other.status_code == 422 and other.json["error"]["code"] == "validation_failed"
    assert len(pubsub.pull(sub, expect=1)) == 1  # one post, one event
    api.call("DELETE", f"/v1/posts/{first.json['id']}")
    gone = api.call("POST", "/v1/posts", json={"text": "once"}, headers=headers)
    assert gone.status_code == 409


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"text": ""}}, 422, "validation_failed"),
        ({"json": {"text": "   \n "}}, 422, "validation_failed"),
        ({"json": {"text": "x" * 281}}, 422, "validation_failed"),
        ({"json": {"text": "bell\x07"}}, 422, "validation_failed"),
        ({"json": {}}, 400, "bad_request"),
        ({"json": {"text": 42}}, 400, "bad_request"),
        ({"json": {"text": "hi", "extra": 1}}, 400, "bad_request"),
        ({"json": ["text"]}, 400, "bad_request"),
        ({"data": "{not json", "content_type": "application/json"}, 400, "bad_request"),
        ({"data": "text=hi", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        ({"json": {"text": "hi"}, "headers": {"Idempotency-Key": "k" * 129}}, 400, "bad_request"),
    ],
)
def test_bad_input_is_a_clear_4xx(
    store: FirestorePosts, kwargs: dict[str, Any], status: int, code: str
) -> None:
    api = _client(store, BrokenPublisher(), "unused")
    r = api.call("POST", "/v1/posts", **kwargs)
    assert r.status_code == status, r.json
    assert r.json["error"]["code"] == code and r.json["error"]["message"]
    assert store.count_user_posts("alice") == 0


def test_bad_ids_unknown_and_unauthenticated(store: FirestorePosts) -> None:
    api = _client(store, BrokenPublisher(), "unused")
    assert api.call("GET", "/v1/posts/abc").status_code == 400
    assert api.call("GET", "/v1/posts/99999999999999999999").status_code == 400
    assert api.call("DELETE", "/v1/posts/-1").status_code == 400
    assert api.call("GET", f"/v1/posts/{ids.new_id()}").status_code == 404
    assert api.call("POST", "/v1/posts", uid=None, json={"text": "hi"}).status_code == 401
    assert api.call("GET", "/v1/posts/1", uid=None).status_code == 401


def test_rate_limit_is_429_with_retry_after(
    store: FirestorePosts, pubsub: PubSub, limiters: Limiters
) -> None:
    api = _client(store, pubsub.publisher, pubsub.topic(), limiters(3, 60))
    codes = [api.call("POST", "/v1/posts", json={"text": f"n{i}"}).status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    r = api.call("POST", "/v1/posts", json={"text": "again"})
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    assert api.call("POST", "/v1/posts", uid="bob", json={"text": "bob"}).status_code == 201


def test_failed_publish_still_201_and_relay_delivers(store: FirestorePosts, pubsub: PubSub) -> None:
    topic = pubsub.topic()
    sub = pubsub.subscription(topic)
    broken = BrokenPublisher()
    api = _client(store, broken, topic)
    created = api.call("POST", "/v1/posts", json={"text": "survives an outage"})
    assert created.status_code == 201 and broken.attempts == 1
    post_id = created.json["id"]
    assert api.call("DELETE", f"/v1/posts/{post_id}").status_code == 204
    assert [e.type for e in store.unpublished_events(10)] == ["PostCreated", "PostDeleted"]
    assert pubsub.pull(sub, expect=0, timeout=2) == []  # nothing reached Pub/Sub

    # While Pub/Sub is still down the relay keeps them; it marks only what was acknowledged.
    stats = OutboxRelay(store, broken, topic=topic, min_age_ms=0).run_once()
    assert (stats.published, stats.failed) == (0, 2)
    assert len(store.unpublished_events(10)) == 2

    relay = OutboxRelay(store, pubsub.publisher, topic=topic, min_age_ms=0)
    stats = relay.run_once()
    assert (stats.published, stats.failed) == (2, 0)
    got = pubsub.pull(sub, expect=2)
    assert sorted((e.type, getattr(e, "post_id", None)) for e in got) == [
        ("PostCreated", post_id),
        ("PostDeleted", post_id),
    ]
    assert store.unpublished_events(10) == []
    assert relay.run_once().published == 0  # nothing twice


def test_relay_leaves_young_events_to_their_request(store: FirestorePosts, pubsub: PubSub) -> None:
    api = _client(store, BrokenPublisher(), "unused")
    assert api.call("POST", "/v1/posts", json={"text": "fresh"}).status_code == 201
    relay = OutboxRelay(store, pubsub.publisher, topic=pubsub.topic(), min_age_ms=60_000)
    assert relay.run_once().published == 0
    assert len(store.unpublished_events(10)) == 1


def test_crash_between_publish_and_mark_gives_a_duplicate_not_a_loss(
    store: FirestorePosts, pubsub: PubSub
) -> None:
    class CrashBeforeMark(FirestorePosts):
        def mark_published(self, published: object) -> None:
            raise RuntimeError("instance killed")

    topic = pubsub.topic()
    sub = pubsub.subscription(topic)
    crashing = CrashBeforeMark(store._db)
    api = Client(router(PostsService(crashing, pubsub.publisher, topic=topic)))
    assert api.call("POST", "/v1/posts", json={"text": "at least once"}).status_code == 201
    assert OutboxRelay(store, pubsub.publisher, topic=topic, min_age_ms=0).run_once().published
    got = pubsub.pull(sub, expect=2)
    assert len(got) == 2 and got[0] == got[1]  # same event_id twice: consumers dedupe on it


def test_relay_drains_a_backlog_in_batches(store: FirestorePosts, pubsub: PubSub) -> None:
    topic = pubsub.topic()
    sub = pubsub.subscription(topic)
    for i in range(25):
        store.create_post(f"u{i % 4}", f"backlog {i}", None, ids.new_id())
    stats = OutboxRelay(
        store, pubsub.publisher, topic=topic, batch_size=10, min_age_ms=0
    ).run_once()
    assert (stats.published, stats.batches) == (25, 3)
    assert len({e.event_id for e in pubsub.pull(sub, expect=25)}) == 25


def test_only_registered_authors_post_and_responses_carry_the_author(
    store: FirestorePosts, pubsub: PubSub, neo4j_uri: str
) -> None:
    import neo4j

    from shared.adapters.neo4j_graph import Neo4jGraph

    with neo4j.GraphDatabase.driver(neo4j_uri) as driver:
        graph = Neo4jGraph(driver, "neo4j")
        graph.ensure_schema()
        handle = f"erin_{uuid.uuid4().hex[:6]}"
        graph.create_user("erin", handle, "Erin")
        service = PostsService(store, pubsub.publisher, authors=lambda: graph, topic=pubsub.topic())
        api = Client(router(service))
        r = api.call("POST", "/v1/posts", uid="erin", json={"text": "registered"})
        assert r.status_code == 201
        assert r.json["author"] == {"handle": handle, "display_name": "Erin", "avatar": None}
        got = api.call("GET", f"/v1/posts/{r.json['id']}", uid="someone")
        assert got.json["author"]["handle"] == handle
        r = api.call("POST", "/v1/posts", uid="ghost", json={"text": "no profile"})
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
        assert store.count_user_posts("ghost") == 0


def test_graph_outage_does_not_block_posting(store: FirestorePosts, pubsub: PubSub) -> None:
    class GraphDown:
        def get_user(self, uid: str) -> None:
            raise ConnectionError("neo4j unavailable")

    service = PostsService(store, pubsub.publisher, authors=GraphDown, topic=pubsub.topic())
    r = Client(router(service)).call("POST", "/v1/posts", json={"text": "still works"})
    assert r.status_code == 201 and "author" not in r.json
