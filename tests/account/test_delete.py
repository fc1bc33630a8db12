"""DELETE /v1/me end to end on the real services (Neo4j, Redis, Firestore, Pub/Sub, Auth
emulator, fake-gcs-server): gone at once, then erased everywhere by the account eraser — every
store checked key by key, node by node and document by document — under 3x redelivery, and a
replay (subscriptions sought back) brings none of their posts back into any timeline."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from firebase_admin import auth
from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore, pubsub_v1, storage

from shared import config, events
from shared.adapters import redis_keys as keys
from shared.adapters.neo4j_graph import Neo4jGraph
from shared.adapters.redis_erasure import names_user
from shared.bootstrap import Container
from shared.domain.media import NewMedia, upload_object_name, variant_object_name
from shared.domain.model import Mention
from shared.entrypoints.pubsub.consumer import consume
from tests.conftest import PROJECT_ID
from tests.media.conftest import fake_gcs_host  # noqa: F401  (fixture)

from .conftest import Api, register

pytestmark = pytest.mark.integration

TOPICS = ("post-events", "fanout-batches", "account-events", "social-events", "engagement-events")
UPLOADS, MEDIA = "acct-uploads", "acct-media"
ALICE, BOB, CAROL, DAVE = "uid-alice-del", "uid-bob-del", "uid-carol-del", "uid-dave-del"
WORDS = "alice's secret words"


@pytest.fixture
def world(
    container: Container,
    auth_emulator: str,
    fake_gcs_host: str,  # noqa: F811
) -> Iterator[tuple[Container, dict[str, str]]]:
    os.environ["FIREBASE_AUTH_EMULATOR_HOST"] = auth_emulator
    s = container.settings
    settings = config.Settings(
        project_id=PROJECT_ID, neo4j_uri=s.neo4j_uri, redis_url=s.redis_url,
        uploads_bucket=UPLOADS, media_bucket=MEDIA, burst_post_threshold=2,
    )  # fmt: skip
    c = Container(
        settings, neo4j_driver=container.neo4j_driver, graph=container.graph,
        redis=container.redis,
    )  # fmt: skip
    c.media_storage.ensure_buckets()
    c.export_files.ensure_bucket()
    pub, sub = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    subs: dict[str, str] = {}
    for t in TOPICS:
        with contextlib.suppress(AlreadyExists):
            pub.create_topic(name=pub.topic_path(PROJECT_ID, t))
        path = sub.subscription_path(PROJECT_ID, f"acct-{t}-{uuid.uuid4().hex[:6]}")
        sub.create_subscription(request={
            "name": path, "topic": pub.topic_path(PROJECT_ID, t),
            "retain_acked_messages": True, "ack_deadline_seconds": 10,
        })  # fmt: skip
        subs[t] = path
    yield c, subs
    for path in subs.values():
        sub.delete_subscription(request={"subscription": path})


def pull_all(path: str) -> list[tuple[bytes, dict[str, str]]]:
    sub = pubsub_v1.SubscriberClient()
    out: list[tuple[bytes, dict[str, str]]] = []
    empty = 0
    while empty < 3:
        resp = sub.pull(request={"subscription": path, "max_messages": 100,
                                 "return_immediately": True}, timeout=5)  # fmt: skip
        if not resp.received_messages:
            empty += 1
            time.sleep(0.2)
            continue
        out += [(m.message.data, dict(m.message.attributes)) for m in resp.received_messages]
        sub.acknowledge(
            request={"subscription": path, "ack_ids": [m.ack_id for m in resp.received_messages]}
        )
    return out


def push(data: bytes, attrs: dict[str, str]) -> dict[str, Any]:
    return {"data": {"message": {"data": base64.b64encode(data).decode(), "attributes": attrs}}}


def run_consumers(c: Container, subs: dict[str, str]) -> None:
    """What the push subscriptions do: planner, then writer, then follow sync."""
    keys_ = lambda: c.data_keys  # noqa: E731
    for data, attrs in pull_all(subs["post-events"]):
        consume(push(data, attrs), "fanout_planner", c.fanout_planner.handle, c.publisher,
                keys=keys_)  # fmt: skip
        consume(push(data, attrs), "notifier", c.notifier.handle, c.publisher, keys=keys_)
    for data, attrs in pull_all(subs["fanout-batches"]):
        consume(push(data, attrs), "timeline_writer", c.timeline_writer.handle, c.publisher)
    for data, attrs in pull_all(subs["social-events"]):
        consume(push(data, attrs), "follow_sync", c.follow_sync.handle, c.publisher)
        consume(push(data, attrs), "notifier", c.notifier.handle, c.publisher)
    # the notifications (docs/notifications.md): they name her too, until she is erased
    for data, attrs in pull_all(subs["engagement-events"]):
        consume(push(data, attrs), "notifier", c.notifier.handle, c.publisher)


def firestore_dump(db: firestore.Client) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def walk(coll: Any) -> None:
        for doc in coll.list_documents():
            snap = doc.get()
            if snap.exists:
                out.append((doc.path, json.dumps(snap.to_dict(), default=str, ensure_ascii=False)))
            for sub in doc.collections():
                walk(sub)

    for coll in db.collections():
        walk(coll)
    return out


def redis_mentions(c: Container, uid: str, post_ids: set[str]) -> list[str]:
    """Every key naming the user, and every key holding one of their posts (tombstones, which
    keep replayed fan-out batches from adding them back, excepted)."""
    r = c.redis
    found: list[str] = []
    for raw in r.scan_iter(count=1000):
        k = raw.decode()
        if names_user(k, uid) or uid in k:
            found.append(k)
            continue
        if any(p in k for p in post_ids) and not k.startswith("px:"):
            found.append(k)
            continue
        kind = r.type(k).decode()
        members: list[bytes] = []
        if kind == "zset":
            members = r.zrange(k, 0, -1)
        elif kind == "set":
            members = list(r.smembers(k))
        elif kind == "hash":
            members = [v for kv in r.hgetall(k).items() for v in kv]
        elif kind == "string":
            members = [r.get(k) or b""]
        text = b" ".join(members).decode(errors="replace")
        if uid in text or WORDS in text or any(p in text.split() for p in post_ids):
            found.append(f"{k} -> {text[:80]}")
    return found


def graph_mentions(graph: Neo4jGraph, uid: str) -> list[Any]:
    with graph.driver.session(database="neo4j") as s:
        nodes = s.run("MATCH (n) WHERE any(k IN keys(n) WHERE toString(n[k]) CONTAINS $u)"
                      " RETURN n", u=uid).values()  # fmt: skip
        rels = s.run("MATCH ()-[r]->() WHERE any(k IN keys(r) WHERE toString(r[k]) CONTAINS $u)"
                     " RETURN r", u=uid).values()  # fmt: skip
    return nodes + rels


def test_delete_erases_everywhere_and_a_replay_brings_nothing_back(
    world: tuple[Container, dict[str, str]],
) -> None:
    c, subs = world
    api = Api(c, "users")
    for uid, h in ((ALICE, "alice_del"), (BOB, "bob_del"), (CAROL, "carol_del"), (DAVE, "dave_d")):
        register(api, uid, h, h.title())
        c.sign_in_accounts.create(uid, f"{h}@example.org", "pw-123456")
    for follower, followee in ((BOB, ALICE), (CAROL, ALICE), (ALICE, DAVE), (BOB, DAVE)):
        assert api.call("PUT", f"/v1/users/{followee}/follow", follower).status_code == 200
    for u in (BOB, CAROL, ALICE):
        c.timelines.touch(u)
    # Alice's media: a record, the upload and a variant in the two buckets.
    media_id = uuid.uuid4().hex
    c.media_repo.create_pending(media_id, ALICE, NewMedia("image/png", 10, "post", "alt"))
    gcs = storage.Client(project=PROJECT_ID)
    gcs.bucket(UPLOADS).blob(upload_object_name(media_id)).upload_from_string(b"raw")
    gcs.bucket(MEDIA).blob(variant_object_name(media_id, "400")).upload_from_string(b"webp")
    # Her posts (sealed), the others' posts; fan-out as the functions do it.
    alice_posts = {str(c.posts_service.create(ALICE, f"{WORDS} {i}", None)[0].id)
                   for i in range(4)}  # fmt: skip
    dave_post = str(c.posts_service.create(DAVE, "dave was here", None)[0].id)
    # Bob mentions her: the link is resolved to her id at create time.
    bob_post = str(c.posts_service.create(BOB, "welcome @alice_del!", None)[0].id)
    got = c.posts.get_post(int(bob_post))
    assert got is not None and [m.user_id for m in got.mentions] == [ALICE]
    # Likes and reposts: hers of Dave's post (Carol, who follows her only, gets the repost),
    # Carol's of it, and Bob's of one of hers.
    posts_api, timeline_api = Api(c, "posts"), Api(c, "timeline")
    for uid, what, pid in (
        (ALICE, "like", dave_post),
        (ALICE, "repost", dave_post),
        (CAROL, "like", dave_post),
        (BOB, "like", min(alice_posts)),
    ):
        assert posts_api.call("PUT", f"/v1/posts/{pid}/{what}", uid).status_code == 200
    run_consumers(c, subs)

    def dave_post_seen_by_carol() -> list[dict[str, Any]]:
        items = timeline_api.call("GET", "/v1/timeline?limit=50", CAROL).json["items"]
        return [p for p in items if p["id"] == dave_post]

    told = c.notifications.page(DAVE, 50, None).groups
    assert {g.kind for g in told} == {"follow", "like", "repost"}, told
    assert all(ALICE in g.actors for g in told)
    seen = dave_post_seen_by_carol()
    assert len(seen) == 1 and seen[0]["reposted_by"]["users"][0]["id"] == ALICE, seen
    assert (seen[0]["like_count"], seen[0]["repost_count"]) == (2, 1)
    modes = {(c.redis.get(keys.post_mode(p)) or b"").decode() for p in alice_posts}
    assert modes == {"push", "pull"}, modes  # both ways of reaching a reader are exercised
    seen_by_bob = {str(p.id) for p in c.timeline_reader.home(BOB, 50).posts}
    assert alice_posts <= seen_by_bob and dave_post in seen_by_bob, seen_by_bob
    assert api.call("GET", f"/v1/users/{DAVE}", BOB).json["follower_count"] == 2

    # Authorization and confirmation: nobody deletes another account; a wrong handle is 422.
    r = api.call("DELETE", "/v1/me", ALICE, json={"confirm": "bob_del"})
    assert r.status_code == 422 and r.json["error"]["details"]["field"] == "confirm"
    assert api.call("DELETE", "/v1/me", ALICE, json={}).status_code == 400
    assert api.call("DELETE", "/v1/me", None, json={"confirm": "alice_del"}).status_code == 401
    assert api.call("GET", "/v1/me", ALICE).status_code == 200

    r = api.call("DELETE", "/v1/me", ALICE, json={"confirm": "@Alice_Del"})
    assert r.status_code == 202 and r.json == {"status": "deleting"}
    # At once: gone for herself (410) and for everyone else (404), by id and by handle.
    r = api.call("GET", "/v1/me", ALICE)
    assert r.status_code == 410 and r.json["error"]["code"] == "account_deleted"
    assert r.json["error"]["details"]["status"] == "deleting"
    assert api.call("GET", f"/v1/users/{ALICE}", BOB).status_code == 404
    assert api.call("GET", "/v1/users/by-handle/alice_del", BOB).status_code == 404
    # Registering again under the same sign-in is refused while the deletion runs (and after).
    r = api.call("POST", "/v1/users", ALICE, json={"handle": "alice_again", "display_name": "A"})
    assert r.status_code == 410 and r.json["error"]["code"] == "account_deleted", r.json
    # A repeated DELETE is answered the same and re-announces it.
    assert api.call("DELETE", "/v1/me", ALICE, json={"confirm": "alice_del"}).status_code == 202

    published = pull_all(subs["account-events"])
    assert len(published) == 2
    assert {events.decode(d).event_id for d, _ in published} == {
        events.decode(published[0][0]).event_id
    }  # the same event, deduplicable
    for _ in range(3):  # 3x redelivery of the deletion: the same end state, no error
        consume(push(*published[0]), "account_eraser", c.account_eraser.handle, c.publisher)

    r = api.call("GET", "/v1/me", ALICE)
    assert r.status_code == 410 and r.json["error"]["details"]["status"] == "deleted"
    assert r.json["error"]["details"]["done_ms"] > 0

    def check_nothing_left() -> None:
        assert redis_mentions(c, ALICE, alice_posts) == []
        assert graph_mentions(c.graph, ALICE) == []
        for path, doc in firestore_dump(c.firestore):
            assert ALICE not in path and ALICE not in doc, path
            assert WORDS not in doc, path
            # Bob's words keep the @handle he typed, as plain text: the link to her is gone
            if not path.endswith(f"posts/{bob_post}"):
                assert "alice_del" not in doc.lower(), path
            assert media_id not in path and media_id not in doc, path
        for bucket in (UPLOADS, MEDIA):
            names = [b.name for b in gcs.list_blobs(bucket)]
            assert not [n for n in names if media_id in n], names
        with pytest.raises(auth.UserNotFoundError):
            auth.get_user(ALICE, app=c.sign_in_accounts._app)
        # Bob's mention of her is resolved to "deleted user": the span stays, marked deleted,
        # with no id; his words keep the @handle he typed (the app shows "deleted user").
        bob_now = c.posts.get_post(int(bob_post))
        assert bob_now is not None and "@alice_del" in bob_now.text
        assert bob_now.mentions == (Mention(8, 18, None),) and bob_now.mentions[0].deleted
        gone = {"start": 8, "end": 18, "user_id": None, "deleted": True}
        as_carol = posts_api.call("GET", f"/v1/posts/{bob_post}", CAROL).json
        assert as_carol["mentions"] == [gone] and ALICE not in json.dumps(as_carol)
        home = timeline_api.call("GET", "/v1/timeline?limit=50", BOB).json["items"]
        (in_home,) = [p for p in home if p["id"] == bob_post]  # through the cached body too
        assert in_home["mentions"] == [gone] and ALICE not in json.dumps(in_home)
        body = c.redis.get(keys.post_body(int(bob_post)))
        assert body is None or ALICE.encode() not in body
        seen = {str(p.id) for u in (BOB, CAROL) for p in c.timeline_reader.home(u, 50).posts}
        assert not seen & alice_posts and dave_post in seen

    check_nothing_left()
    # Her like and repost are gone from Dave's post (Carol's stays), her repost from Carol's
    # timeline, and Bob's likes list no longer has her post.
    assert dave_post_seen_by_carol() == []  # Carol followed her only: no path to it is left
    got = posts_api.call("GET", f"/v1/posts/{dave_post}", CAROL).json
    assert (got["like_count"], got["repost_count"], got["liked_by_me"]) == (1, 0, True), got
    assert timeline_api.call("GET", f"/v1/users/{BOB}/likes", BOB).json["items"] == []
    # The others' counts are right: Dave lost a follower, Bob follows one fewer.
    assert api.call("GET", f"/v1/users/{DAVE}", BOB).json["follower_count"] == 1
    assert api.call("GET", "/v1/me", BOB).json["following_count"] == 1
    auth.get_user(BOB, app=c.sign_in_accounts._app)  # nobody else's account is touched

    # Replay: every subscription sought back a day; the consumers run over history again.
    admin = pubsub_v1.SubscriberClient()
    day_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    for path in subs.values():
        admin.seek(request={"subscription": path, "time": day_ago})
    replayed = pull_all(subs["account-events"])
    assert len(replayed) == 2
    for data, attrs in replayed:
        consume(push(data, attrs), "account_eraser", c.account_eraser.handle, c.publisher)
    run_consumers(c, subs)
    check_nothing_left()
