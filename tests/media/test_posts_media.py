"""Images on posts: claim, store, replay, events, timelines and deletion, on the real services.

Uploads go like a browser's (POST /v1/media, PUT to the session on fake-gcs-server), the
processor takes the real OBJECT_FINALIZE notification, posts are written to the Firestore
emulator and published to the Pub/Sub emulator, the timeline consumers run on real Redis and
Neo4j.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import flask
import pytest
import requests
from google.cloud import pubsub_v1

from shared import config, events
from shared.adapters import redis_keys as keys
from shared.adapters.firestore_posts import FirestorePosts
from shared.adapters.neo4j_graph import Neo4jGraph
from shared.adapters.pubsub import PubSubPublisher
from shared.adapters.redis_cards import RedisProfileCards
from shared.adapters.redis_timeline import RedisTimelines
from shared.bootstrap import Container
from shared.domain import media as domain
from shared.entrypoints.http.api import Router
from shared.entrypoints.http.posts import router
from shared.usecases.fanout import FanoutPlanner
from shared.usecases.posts import PostsService
from shared.usecases.timeline import TimelineReader
from tests.conftest import PROJECT_ID
from tests.media.conftest import Api, Uploader, image_bytes, notify, wait_notification

pytestmark = pytest.mark.integration


def _uid() -> str:
    return f"u-{uuid.uuid4().hex[:12]}"


def _api(router: Router) -> Api:
    app = flask.Flask("posts-media-test")

    @app.route("/<path:_p>", methods=["GET", "POST", "PUT", "DELETE"])
    def all_routes(_p: str) -> flask.Response:
        return router.dispatch(flask.request)

    return Api(app.test_client())


@dataclass
class Posts:
    api: Api
    store: FirestorePosts
    topic: str
    subscription: str

    def events(self, want: int) -> list[events.Event]:
        sub = pubsub_v1.SubscriberClient()
        got: list[events.Event] = []
        for _ in range(50):
            resp = sub.pull(
                request={"subscription": self.subscription, "max_messages": 50,
                         "return_immediately": True}, timeout=5,
            )  # fmt: skip
            if resp.received_messages:
                sub.acknowledge(
                    subscription=self.subscription,
                    ack_ids=[m.ack_id for m in resp.received_messages],
                )
                got += [events.decode(m.message.data) for m in resp.received_messages]
            if len(got) >= want:
                break
        return got


@pytest.fixture(scope="module")
def posts(media_c: Container) -> Iterator[Posts]:
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topic = f"post-events-{uuid.uuid4().hex[:8]}"
    publisher.create_topic(name=publisher.topic_path(PROJECT_ID, topic))
    sub = subscriber.subscription_path(PROJECT_ID, f"sub-{uuid.uuid4().hex[:8]}")
    subscriber.create_subscription(name=sub, topic=publisher.topic_path(PROJECT_ID, topic))
    store = FirestorePosts(media_c.firestore)
    service = PostsService(
        store,
        PubSubPublisher(PROJECT_ID),
        topic=topic,
        media=media_c.media_service,
        media_files=lambda: media_c.media_service,
        avatars=media_c.media_repo,
    )
    yield Posts(_api(router(service)), store, topic, sub)
    subscriber.delete_subscription(subscription=sub)


def _ready(mc: Container, upload: Uploader, uid: str, alt: str = "", **kw: Any) -> str:
    media_id, obj = upload(uid, image_bytes("PNG", (1600, 900)), alt=alt, **kw)
    data, attrs = wait_notification(obj)
    assert notify(mc, data, attrs) == "ready"
    return media_id


def _variants_exist(mc: Container, media_id: str) -> list[int]:
    rec = mc.media_repo.get(media_id)
    assert rec is not None
    urls = [domain.public_url(mc.settings.media_base_url, v.object_name) for v in rec.variants]
    return [requests.get(u, timeout=10).status_code for u in urls]


def test_post_with_media_is_stored_published_and_replayed(
    media_c: Container, upload: Uploader, posts: Posts
) -> None:
    uid = _uid()
    first = _ready(media_c, upload, uid, alt="a gradient")
    second = _ready(media_c, upload, uid, alt="kept")
    body = {"text": "two pictures", "media_ids": [first, second], "media_alts": ["edited", None]}
    key = {"Idempotency-Key": f"k-{uid}"}
    r = posts.api.call("POST", "/v1/posts", uid, body, headers=key)
    assert r.status_code == 201, r.get_json()
    post = r.get_json()
    assert [m["id"] for m in post["media"]] == [first, second]
    assert [m["alt"] for m in post["media"]] == ["edited", "kept"]
    m0 = post["media"][0]
    assert (m0["width"], m0["height"], m0["type"]) == (1200, 675, "image/webp")
    assert [(v["width"], v["height"]) for v in m0["variants"]] == [(400, 225), (1200, 675)]
    assert all(code == 200 for code in _variants_exist(media_c, first))

    got = posts.api.call("GET", f"/v1/posts/{post['id']}", uid).get_json()
    assert got["media"] == post["media"]

    # The replay answers with the first post and its media; other media under the key is 422.
    replay = posts.api.call("POST", "/v1/posts", uid, body, headers=key)
    assert replay.status_code == 200 and replay.get_json() == post
    other = posts.api.call("POST", "/v1/posts", uid, {**body, "media_ids": [first],
                           "media_alts": None}, headers=key)  # fmt: skip
    assert other.status_code == 422, other.get_json()

    (event,) = posts.events(1)
    assert isinstance(event, events.PostCreated) and event.post_id == post["id"]
    assert event.media == post["media"]
    # Each media item records the post showing it (deleting the post can then free it).
    for media_id in (first, second):
        doc = media_c.firestore.collection("media").document(media_id).get().to_dict()
        assert doc["post_ids"] == [post["id"]]

    plain = posts.api.call("POST", "/v1/posts", uid, {"text": "no pictures"}).get_json()
    assert plain["media"] == []


def test_media_that_cannot_be_claimed_is_refused_and_nothing_is_posted(
    media_c: Container, upload: Uploader, api: Api, posts: Posts
) -> None:
    owner, other = _uid(), _uid()
    ready = _ready(media_c, upload, owner)
    # Declared but never uploaded: pending.
    declared = {"content_type": "image/png", "byte_size": 10, "purpose": "post"}
    pending = api.call("POST", "/v1/media", owner, declared).get_json()["media_id"]
    avatar = _ready(media_c, upload, owner, purpose="avatar")

    def post(uid: str, media_ids: Any) -> tuple[int, Any]:
        r = posts.api.call("POST", "/v1/posts", uid, {"text": "x", "media_ids": media_ids})
        return r.status_code, r.get_json()

    code, body = post(other, [ready])
    assert code == 403 and body["error"]["details"] == {"media_id": ready}
    code, body = post(owner, [ready, pending])
    assert code == 409 and body["error"]["details"]["status"] == "pending"
    assert post(owner, [secrets_id()])[0] == 404
    assert post(owner, [avatar])[0] == 422
    assert post(owner, [secrets_id() for _ in range(5)])[0] == 422
    assert post(owner, ["../etc/passwd"])[0] == 400
    assert post(owner, [ready, ready])[0] == 400
    assert posts.store.list_user_posts(owner, 10) == []
    assert posts.store.list_user_posts(other, 10) == []


def secrets_id() -> str:
    return uuid.uuid4().hex


def test_deleting_a_post_deletes_its_media_files_unless_another_post_shows_them(
    media_c: Container, upload: Uploader, posts: Posts
) -> None:
    uid = _uid()
    own, shared = _ready(media_c, upload, uid), _ready(media_c, upload, uid)
    a = posts.api.call("POST", "/v1/posts", uid, {"text": "a", "media_ids": [own, shared]})
    b = posts.api.call("POST", "/v1/posts", uid, {"text": "b", "media_ids": [shared]})
    a_id, b_id = a.get_json()["id"], b.get_json()["id"]

    assert posts.api.call("DELETE", f"/v1/posts/{a_id}", "someone-else").status_code == 403
    assert _variants_exist(media_c, own) == [200, 200]

    assert posts.api.call("DELETE", f"/v1/posts/{a_id}", uid).status_code == 204
    assert _variants_exist(media_c, own) == [404, 404]
    assert media_c.media_repo.get(own).status == "deleted"  # type: ignore[union-attr]
    assert _variants_exist(media_c, shared) == [200, 200]  # post b still shows it
    assert posts.api.call("DELETE", f"/v1/posts/{a_id}", uid).status_code == 204  # idempotent

    assert posts.api.call("DELETE", f"/v1/posts/{b_id}", uid).status_code == 204
    assert _variants_exist(media_c, shared) == [404, 404]
    # A deleted media item cannot be put on a new post.
    r = posts.api.call("POST", "/v1/posts", uid, {"text": "again", "media_ids": [shared]})
    assert r.status_code == 404


@pytest.fixture(scope="module")
def timeline_parts(
    media_c: Container, redis_url: str, neo4j_uri: str
) -> Iterator[tuple[Container, FanoutPlanner, TimelineReader]]:
    c = Container(config.Settings(project_id=PROJECT_ID, redis_url=redis_url, neo4j_uri=neo4j_uri))
    graph: Neo4jGraph = c.graph
    graph.ensure_schema()
    tl = RedisTimelines(c.redis, c.settings)
    store = FirestorePosts(media_c.firestore)
    planner = FanoutPlanner(tl, graph, PubSubPublisher(PROJECT_ID), c.settings, store)
    cards = RedisProfileCards(media_c.redis)
    reader = TimelineReader(tl, graph, store, cards, avatars=media_c.media_repo)
    yield c, planner, reader
    c.neo4j_driver.close()


def test_user_timeline_shows_post_media_and_the_author_avatar(
    media_c: Container,
    upload: Uploader,
    posts: Posts,
    timeline_parts: tuple[Container, FanoutPlanner, TimelineReader],
) -> None:
    c, planner, reader = timeline_parts
    uid = _uid()
    c.graph.create_user(uid, f"h{uid[2:]}", "Pictured")
    avatar = _ready(media_c, upload, uid, purpose="avatar")
    media_c.media_service.set_avatar(uid, avatar)
    photo = _ready(media_c, upload, uid, alt="sky")
    post = posts.api.call("POST", "/v1/posts", uid, {"text": "look", "media_ids": [photo]})
    assert post.status_code == 201
    created = [e for e in posts.events(1) if isinstance(e, events.PostCreated)]
    for event in created:
        planner.handle(event)  # what fanout_planner does with the published event

    def first_item() -> dict[str, Any]:
        body = reader.user_posts(uid, 10).to_json()
        assert [i["id"] for i in body["items"]] == [post.get_json()["id"]]
        item: dict[str, Any] = body["items"][0]
        return item

    item = first_item()  # from the Redis post cache the planner filled from the event
    assert item["media"] == post.get_json()["media"] and item["media"][0]["alt"] == "sky"
    assert item["author"]["avatar"]["id"] == avatar
    assert [v["width"] for v in item["author"]["avatar"]["variants"]] == [96, 400]
    c.redis.delete(keys.post_body(item["id"]))
    assert first_item() == item  # from the Firestore read model

    media_c.media_service.set_avatar(uid, None)
    assert first_item()["author"]["avatar"] is None  # at once: avatars are not cached
