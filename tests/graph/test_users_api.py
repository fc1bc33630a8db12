"""The users router end to end on real Neo4j, Pub/Sub and Firestore emulators."""

from __future__ import annotations

import time
from typing import Any

import pytest
from google.cloud import pubsub_v1

from shared import events
from shared.adapters.pubsub import PubSubPublisher
from shared.bootstrap import Container
from shared.entrypoints.http.users import router
from shared.usecases.users import UsersService, relay_social_events

from .conftest import Api, app_for, userinfo

pytestmark = pytest.mark.integration


def register(api: Api, uid: str, handle: str, name: str = "Some One") -> Any:
    return api.call("POST", "/v1/users", uid, json={"handle": handle, "display_name": name})


def pull(subscription: str, want: int, timeout: float = 15.0) -> list[events.Event]:
    """Pull until ``want`` events arrived (or the timeout), acking them."""
    subscriber = pubsub_v1.SubscriberClient()
    got: list[events.Event] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        resp = subscriber.pull(
            request={"subscription": subscription, "max_messages": 50}, timeout=5
        )
        if resp.received_messages:
            subscriber.acknowledge(
                request={
                    "subscription": subscription,
                    "ack_ids": [m.ack_id for m in resp.received_messages],
                }
            )
        got += [events.decode(m.message.data) for m in resp.received_messages]
    return got


def test_register_profile_and_lookups(api: Api) -> None:
    r = register(api, "uid-alice", "Alice_1", "  Alice  ")
    assert r.status_code == 201, r.json
    body = r.json
    assert body["id"] == "uid-alice" and body["display_name"] == "Alice"
    assert (body["follower_count"], body["following_count"], body["post_count"]) == (0, 0, 0)
    assert register(api, "uid-alice", "alice_1").status_code == 200  # same handle again
    r = register(api, "uid-bob", "ALICE_1")
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"
    assert register(api, "uid-alice", "other_handle").status_code == 409

    assert api.call("GET", "/v1/me", "uid-alice").json["handle"] == "Alice_1"
    assert api.call("GET", "/v1/me", "uid-nobody").status_code == 404
    assert api.call("GET", "/v1/users/by-handle/aLiCe_1", "uid-x").json["id"] == "uid-alice"
    assert api.call("GET", "/v1/users/by-handle/nobody_here", "uid-x").status_code == 404
    assert api.call("GET", "/v1/users/uid-alice", "uid-x").json["followed_by_me"] is False
    assert api.call("GET", "/v1/users/uid-ghost", "uid-x").status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"handle": "ab", "display_name": "x"}, 422),
        ({"handle": "has space", "display_name": "x"}, 422),
        ({"handle": "fine_one", "display_name": "   "}, 422),
        ({"handle": "fine_one", "display_name": "x" * 51}, 422),
        ({"handle": "fine_one", "display_name": "two\nlines"}, 422),
        ({"handle": "fine_one"}, 400),
        ({"handle": 12, "display_name": "x"}, 400),
    ],
)
def test_register_rejects_bad_bodies(api: Api, body: dict[str, Any], status: int) -> None:
    r = api.call("POST", "/v1/users", "uid-c", json=body)
    assert r.status_code == status, r.json
    assert r.json["error"]["details"]["field"] in ("handle", "display_name")


def test_bad_requests_get_clear_4xx(api: Api) -> None:
    register(api, "uid-a", "user_a")
    assert api.call("GET", "/v1/me").status_code == 401
    assert api.call("POST", "/v1/users", "uid-a", data="{", content_type="application/json")\
        .status_code == 400  # fmt: skip
    assert api.call("POST", "/v1/users", "uid-a", data="x", content_type="text/plain")\
        .status_code == 415  # fmt: skip
    assert api.call("GET", "/v1/users/by-handle/no-dash", "uid-a").status_code == 400
    assert api.call("GET", "/v1/users/by-handle/x", "uid-a").status_code == 400
    assert api.call("GET", "/v1/users/bad%20id", "uid-a").status_code == 400
    assert api.call("GET", "/v1/users/" + "x" * 129, "uid-a").status_code == 400
    assert api.call("PUT", "/v1/users/bad|id/follow", "uid-a").status_code == 400
    assert api.call("PUT", "/v1/users/uid-a/follow", "uid-a").status_code == 400  # yourself
    assert api.call("PUT", "/v1/users/uid-ghost/follow", "uid-a").status_code == 404
    r = api.call("PUT", "/v1/users/uid-a/follow", "uid-unregistered")
    assert r.status_code == 404 and "register" in r.json["error"]["message"]
    assert api.call("GET", "/v1/users/uid-a/followers?limit=0", "uid-a").status_code == 400
    assert api.call("GET", "/v1/users/uid-a/followers?limit=abc", "uid-a").status_code == 400
    assert api.call("GET", "/v1/users/uid-a/followers?cursor=zz", "uid-a").status_code == 400
    assert api.call("GET", "/v1/users/uid-ghost/following", "uid-a").status_code == 404
    assert api.call("GET", "/v1/me/suggestions?limit=101", "uid-a").status_code == 400
    assert api.call("PATCH", "/v1/users/uid-a", "uid-a").status_code in (404, 405)


def test_follow_unfollow_publish_events_once(api: Api, social_subscription: str) -> None:
    register(api, "uid-f", "follower")
    register(api, "uid-s", "star")
    r = api.call("PUT", "/v1/users/uid-s/follow", "uid-f")
    assert r.status_code == 200 and r.json == {"following": True, "changed": True}
    assert api.call("PUT", "/v1/users/uid-s/follow", "uid-f").json == {
        "following": True,
        "changed": False,
    }
    star = api.call("GET", "/v1/users/uid-s", "uid-f").json
    assert star["follower_count"] == 1 and star["followed_by_me"] is True
    by_handle = api.call("GET", "/v1/users/by-handle/STAR", "uid-f").json
    assert by_handle["id"] == "uid-s" and by_handle["followed_by_me"] is True
    assert "followed_by_me" not in api.call("GET", "/v1/users/by-handle/star", "uid-s").json
    r = api.call("DELETE", "/v1/users/uid-s/follow", "uid-f")
    assert r.json == {"following": False, "changed": True}
    assert api.call("DELETE", "/v1/users/uid-s/follow", "uid-f").json["changed"] is False

    got = pull(social_subscription, 2)
    # The emulator does not promise order; consumers re-check the graph anyway.
    assert sorted(type(e).__name__ for e in got) == ["UserFollowed", "UserUnfollowed"]
    for e in got:
        assert isinstance(e, events.UserFollowed | events.UserUnfollowed)
        assert (e.follower_id, e.followee_id) == ("uid-f", "uid-s")
    # The repeated PUT and DELETE changed nothing and published nothing more.
    assert pull(social_subscription, 1, timeout=2.0) == []


def test_failed_publish_is_answered_503_and_the_retry_publishes(
    container: Container, social_subscription: str
) -> None:
    api = Api(app_for(router(container.users)))
    register(api, "uid-f", "follower")
    register(api, "uid-s", "star")
    # The same service publishing to a topic that does not exist: a real publish failure.
    broken = UsersService(container.graph, container.publisher, None, topic="no-such-topic")
    broken_api = Api(app_for(router(broken)))
    r = broken_api.call("PUT", "/v1/users/uid-s/follow", "uid-f")
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert container.graph.is_following("uid-f", "uid-s")  # saved, only unannounced
    assert pull(social_subscription, 1, timeout=2.0) == []

    r = api.call("PUT", "/v1/users/uid-s/follow", "uid-f")  # the client's retry
    assert r.json == {"following": True, "changed": False}
    (e,) = pull(social_subscription, 1)
    assert isinstance(e, events.UserFollowed)
    assert container.graph.pending_announcements() == []

    # An unfollow whose publish failed is re-published by the relay, with the same event id.
    assert broken_api.call("DELETE", "/v1/users/uid-s/follow", "uid-f").status_code == 503
    assert not container.graph.is_following("uid-f", "uid-s")
    published = relay_social_events(
        container.graph, PubSubPublisher(container.settings.project_id), min_age_ms=0
    )
    assert published == 1
    (u,) = pull(social_subscription, 1)
    assert isinstance(u, events.UserUnfollowed) and u.follower_id == "uid-f"
    assert container.graph.pending_announcements() == []


def test_follower_lists_and_suggestions_over_http(api: Api) -> None:
    for uid in ("me", "a", "b", "x", "y"):
        register(api, f"uid-{uid}", f"handle_{uid}")
    for f, t in [("me", "a"), ("me", "b"), ("a", "x"), ("b", "x"), ("b", "y"), ("x", "me")]:
        assert api.call("PUT", f"/v1/users/uid-{t}/follow", f"uid-{f}").status_code in (200, 503)
    seen, cursor = [], ""
    while True:
        q = f"?limit=1&cursor={cursor}" if cursor else "?limit=1"
        page = api.call("GET", f"/v1/users/uid-x/followers{q}", "uid-me").json
        seen += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == ["uid-a", "uid-b"]
    following = api.call("GET", "/v1/users/uid-me/following", "uid-me").json
    assert [u["id"] for u in following["items"]] == ["uid-b", "uid-a"]
    assert following["next_cursor"] is None
    items = api.call("GET", "/v1/me/suggestions?limit=5", "uid-me").json["items"]
    assert [(i["user"]["id"], i["degree"], i["mutual_count"]) for i in items] == [
        ("uid-x", 2, 2),
        ("uid-y", 2, 1),
    ]
    assert items[0]["user"]["post_count"] == 0


def test_the_deployed_entry_point_serves_the_routes(
    container: Container, neo4j_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """functions/users/main.py under functions-framework, wired by its own container."""
    import functions_framework

    from shared import bootstrap

    monkeypatch.setenv("NEO4J_URI", neo4j_uri)
    monkeypatch.setattr(bootstrap, "_container", None)
    app = functions_framework.create_app(target="users", source="functions/users/main.py")
    client = app.test_client()
    headers = userinfo("uid-ff")
    r = client.post("/v1/users", json={"handle": "via_ff", "display_name": "FF"}, headers=headers)
    assert r.status_code == 201, r.json
    assert client.get("/v1/users/by-handle/VIA_FF", headers=headers).json["id"] == "uid-ff"
    assert client.get("/v1/nope", headers=headers).status_code == 404
    assert client.options("/v1/me").status_code == 204
