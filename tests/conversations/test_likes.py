"""Likes and reposts through the gateway, on the real services: idempotent switches, exact
counts, refusals with stable codes, lists, redelivery and a Redis loss."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import redis as redis_lib
from google.cloud import firestore

from devstack.authtools import SignedIn
from shared import events
from shared.adapters import redis_keys as keys
from shared.adapters.firestore_engagement import FirestoreEngagement
from shared.domain.conversations import Kind
from tests.conversations.conftest import Api, Redeliver, eventually

pytestmark = pytest.mark.e2e


def _post_view(api: Api, who: SignedIn, pid: str) -> dict[str, Any]:
    return api.get(who, f"/v1/posts/{pid}")


def test_like_is_idempotent_one_per_user_and_counted_exactly(api: Api) -> None:
    author, ann, ben = api.user("lauthor"), api.user("lann"), api.user("lben")
    pid = api.post(author, "like me")["id"]
    for _ in range(3):
        r = api.call("PUT", f"/v1/posts/{pid}/like", ann)
        assert r.status_code == 200, r.text
        assert r.json() == {"post_id": pid, "liked": True, "like_count": 1}
    r = api.call("PUT", f"/v1/posts/{pid}/like", ben)
    assert r.json()["like_count"] == 2
    seen = _post_view(api, ann, pid)
    assert (seen["like_count"], seen["liked_by_me"]) == (2, True)
    assert _post_view(api, author, pid)["liked_by_me"] is False
    for _ in range(2):
        r = api.call("DELETE", f"/v1/posts/{pid}/like", ann)
        assert r.status_code == 200, r.text
        assert r.json() == {"post_id": pid, "liked": False, "like_count": 1}
    # unliking what you never liked changes nothing and never goes below zero
    r = api.call("DELETE", f"/v1/posts/{pid}/like", author)
    assert r.json() == {"post_id": pid, "liked": False, "like_count": 1}
    r = api.call("DELETE", f"/v1/posts/{pid}/like", ben)
    assert r.json()["like_count"] == 0
    r = api.call("DELETE", f"/v1/posts/{pid}/like", ben)
    assert r.json()["like_count"] == 0
    # like again after unlike: counted once more
    assert api.call("PUT", f"/v1/posts/{pid}/like", ann).json()["like_count"] == 1


def test_refusals_have_stable_codes(api: Api) -> None:
    author, fan = api.user("rauthor"), api.user("rfan")
    pid = api.post(author, "soon gone")["id"]
    assert api.call("DELETE", f"/v1/posts/{pid}", author).status_code == 204
    for method in ("PUT", "DELETE"):
        for what in ("like", "repost"):
            r = api.call(method, f"/v1/posts/{pid}/{what}", fan)
            assert (r.status_code, r.json()["error"]["code"]) == (409, "post_deleted"), r.text
            r = api.call(method, f"/v1/posts/9999999999999/{what}", fan)
            assert (r.status_code, r.json()["error"]["code"]) == (404, "post_not_found"), r.text
            r = api.call(method, f"/v1/posts/abc/{what}", fan)
            assert r.status_code == 400, r.text
            r = api.call(method, f"/v1/posts/{pid}/{what}", None)
            assert (r.status_code, r.json()["error"]["code"]) == (401, "unauthenticated")


def test_nobody_likes_as_someone_else(api: Api) -> None:
    author, mallory, victim = api.user("aauthor"), api.user("mallory"), api.user("victim")
    pid = api.post(author, "guard me")["id"]
    claims = base64.urlsafe_b64encode(json.dumps({"sub": victim.uid}).encode()).decode()
    r = api.call(
        "PUT", f"/v1/posts/{pid}/like", None,
        headers={
            "X-Forwarded-Authorization": mallory.headers["Authorization"],
            "X-Apigateway-Api-Userinfo": claims.rstrip("="),
        },
    )  # fmt: skip
    # the gateway replaces the forged headers with the token's own; the like is mallory's
    if r.status_code == 200:
        assert _post_view(api, victim, pid)["liked_by_me"] is False
    else:
        assert r.status_code == 401, r.text
    assert _post_view(api, victim, pid)["liked_by_me"] is False


def test_reposts_count_and_show_for_the_reposter(api: Api) -> None:
    author, fan = api.user("pauthor"), api.user("pfan")
    pid = api.post(author, "share me")["id"]
    for _ in range(2):
        r = api.call("PUT", f"/v1/posts/{pid}/repost", fan)
        assert r.json() == {"post_id": pid, "reposted": True, "repost_count": 1}, r.text
    # reposting your own post is allowed
    assert api.call("PUT", f"/v1/posts/{pid}/repost", author).json()["repost_count"] == 2
    seen = _post_view(api, fan, pid)
    assert (seen["repost_count"], seen["reposted_by_me"], seen["liked_by_me"]) == (2, True, False)
    r = api.call("DELETE", f"/v1/posts/{pid}/repost", fan)
    assert r.json() == {"post_id": pid, "reposted": False, "repost_count": 1}


def test_likes_lists_newest_first_with_cursor(api: Api) -> None:
    author = api.user("listauthor")
    fans = [api.user(f"lf{i}") for i in range(3)]
    pids = [api.post(author, f"post {i}")["id"] for i in range(3)]
    for f in fans:
        assert api.call("PUT", f"/v1/posts/{pids[0]}/like", f).status_code == 200
    for pid in pids:
        assert api.call("PUT", f"/v1/posts/{pid}/like", fans[0]).status_code == 200
    page = api.get(fans[1], f"/v1/posts/{pids[0]}/likes?limit=2")
    assert [u["id"] for u in page["items"]] == [fans[2].uid, fans[1].uid]
    rest = api.get(fans[1], f"/v1/posts/{pids[0]}/likes?limit=2&cursor={page['next_cursor']}")
    assert [u["id"] for u in rest["items"]] == [fans[0].uid] and rest["next_cursor"] is None
    mine = api.get(fans[1], f"/v1/users/{fans[0].uid}/likes?limit=2")
    assert [p["id"] for p in mine["items"]] == [pids[2], pids[1]]
    assert all(p["like_count"] >= 1 and p["liked_by_me"] is False for p in mine["items"])
    more = api.get(fans[0], f"/v1/users/{fans[0].uid}/likes?cursor={mine['next_cursor']}")
    assert [p["id"] for p in more["items"]] == [pids[0]]
    assert more["items"][0]["like_count"] == 3 and more["items"][0]["liked_by_me"] is True
    r = api.call("GET", f"/v1/posts/{pids[0]}/likes?cursor=bogus", fans[0])
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


def test_redelivered_events_and_a_redis_loss_leave_counts_exact(
    api: Api, redeliver: Redeliver, stack_redis: redis_lib.Redis[bytes]
) -> None:
    author = api.user("dauthor")
    fans = [api.user(f"df{i}") for i in range(3)]
    pid = api.post(author, "count me")["id"]
    for f in fans:
        api.call("PUT", f"/v1/posts/{pid}/like", f)
    api.call("DELETE", f"/v1/posts/{pid}/like", fans[0])
    api.call("PUT", f"/v1/posts/{pid}/repost", fans[1])
    store = FirestoreEngagement(firestore.Client(project=api.stack.project_id))
    sw = store.get_switch(Kind.LIKE, int(pid), fans[1].uid)
    assert sw is not None and sw.active
    liked = events.PostLiked(
        event_id=f"replayed-{pid}", occurred_ms=1, post_id=pid, author_id=author.uid,
        user_id=fans[1].uid, liked_ms=1,
    )  # fmt: skip
    unliked = events.PostUnliked(
        event_id=f"replayed-u-{pid}", occurred_ms=1, post_id=pid, author_id=author.uid,
        user_id=fans[2].uid, liked_ms=1,
    )  # fmt: skip
    redeliver("engagement-events", liked, 3)
    redeliver("engagement-events", unliked, 3)  # a forged/stale unlike: the record says liked
    reposted = events.PostReposted(
        event_id=f"replayed-r-{pid}", occurred_ms=1, post_id=pid, author_id=author.uid,
        reposter_id=fans[1].uid, created_ms=1, reposted_ms=1,
    )  # fmt: skip
    redeliver("post-events", reposted, 3)

    def counts() -> tuple[int, int]:
        p = _post_view(api, fans[0], pid)
        return p["like_count"], p["repost_count"]

    # the consumers ran (their published events and ours): counts stay exact throughout
    eventually(
        lambda: stack_redis.hget(keys.engagement(pid), f"l:{fans[1].uid}") is not None,
        what="counter consumer applied the like",
    )
    import time

    time.sleep(3)  # let every redelivered message be consumed
    assert counts() == (2, 1)
    # Redis loses the counters: the next read rebuilds them from Firestore
    stack_redis.delete(keys.engagement(pid))
    assert counts() == (2, 1)
    assert _post_view(api, fans[1], pid)["liked_by_me"] is True
    assert _post_view(api, fans[0], pid)["liked_by_me"] is False
    # and a like after the rebuild is counted once
    assert api.call("PUT", f"/v1/posts/{pid}/like", fans[0]).json()["like_count"] == 3
