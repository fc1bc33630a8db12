"""Mentions and notifications through the whole local platform (gateway, functions, Pub/Sub
push to the notifier): mentions stored as facets and kept across a handle change, the five
kinds of notification, redelivered events, never to yourself, the caller's own rows only,
bad input 4xx."""

from __future__ import annotations

import time
from typing import Any

from devstack.authtools import SignedIn
from shared import events
from tests.conversations.conftest import Api, Redeliver, eventually


def handle_of(api: Api, who: SignedIn) -> str:
    h: str = api.get(who, "/v1/me")["handle"]
    return h


def rows(api: Api, who: SignedIn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = api.get(who, "/v1/notifications?limit=50")["items"]
    return out


def kinds(api: Api, who: SignedIn) -> set[tuple[str, str | None]]:
    return {(r["kind"], r["post_id"]) for r in rows(api, who)}


def test_mentions_are_facets_with_ids_that_survive_a_handle_change(api: Api) -> None:
    author, bob = api.user("mauthor"), api.user("mbob")
    bh = handle_of(api, bob)
    text = f"hi @{bh.upper()} and @nobody_{bh[-8:]}x, mail x@{bh}.com"
    post = api.post(author, text)
    assert post["mentions"] == [{"start": 3, "end": 4 + len(bh), "user_id": bob.uid}]
    m = post["mentions"][0]
    assert text[m["start"] : m["end"]].lower() == f"@{bh}".lower()
    # every Post JSON carries them: the single post, the author's timeline, the thread
    assert api.get(author, f"/v1/posts/{post['id']}")["mentions"] == post["mentions"]
    eventually(
        lambda: any(p["id"] == post["id"] for p in api.get(author, "/v1/timeline")["items"]),
        what="post in the author's home timeline",
    )
    home = next(p for p in api.get(author, "/v1/timeline")["items"] if p["id"] == post["id"])
    assert home["mentions"] == post["mentions"]
    thread = api.get(author, f"/v1/posts/{post['id']}/thread")
    assert thread["post"]["mentions"] == post["mentions"]
    # bob changes handle: the link still names bob
    r = api.call("PATCH", "/v1/me", bob, {"handle": f"n{bh[:28]}"})
    assert r.status_code == 200, r.text
    assert api.get(author, f"/v1/posts/{post['id']}")["mentions"][0]["user_id"] == bob.uid
    # and a post without mentions says so
    assert api.post(author, "nobody here")["mentions"] == []


def test_more_than_ten_mentions_is_a_clear_422(api: Api) -> None:
    author = api.user("many")
    text = " ".join(f"@someone{i:02d}" for i in range(11))
    r = api.call("POST", "/v1/posts", author, {"text": text})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "too_many_mentions"


def test_the_five_kinds_grouped_and_never_to_yourself(api: Api, redeliver: Redeliver) -> None:
    me, a, b, c = (api.user(n) for n in ("nme", "na", "nb", "nc"))
    mine = api.post(me, "my post")["id"]
    api.call("PUT", f"/v1/posts/{mine}/like", me)  # your own like: nobody is told
    for fan in (a, b, c):
        assert api.call("PUT", f"/v1/posts/{mine}/like", fan).status_code == 200
    assert api.call("PUT", f"/v1/posts/{mine}/repost", a).status_code == 200
    api.follow(b, me)
    reply = api.post(c, "an answer", reply_to=mine)["id"]
    mention = api.post(a, f"look @{handle_of(api, me)}")["id"]
    api.post(me, f"talking to myself @{handle_of(api, me)}")  # a self-mention: nobody told
    want = {("like", mine), ("repost", mine), ("follow", None), ("reply", reply),
            ("mention", mention)}  # fmt: skip
    eventually(lambda: kinds(api, me) == want and _likes(api, me) == 3, timeout=60,
               what="every kind of notification")  # fmt: skip
    like_row = next(r for r in rows(api, me) if r["kind"] == "like")
    assert [x["id"] for x in like_row["actors"]] == [c.uid, b.uid, a.uid]
    assert like_row["actors"][0]["handle"] == handle_of(api, c)
    assert {r["subject_post_id"] for r in rows(api, me) if r["kind"] == "reply"} == {mine}
    # the others got nothing from their own acts
    assert rows(api, a) == []
    # Pub/Sub delivers again (3x): nothing changes
    before = api.get(me, "/v1/notifications")
    liked = events.PostLiked(
        event_id=f"again-{mine}", occurred_ms=1, post_id=mine, author_id=me.uid,
        user_id=b.uid, liked_ms=like_row["created_ms"],
    )  # fmt: skip
    followed = events.UserFollowed(
        event_id=f"again-f-{mine}", occurred_ms=before["items"][0]["created_ms"],
        follower_id=b.uid, followee_id=me.uid,
    )  # fmt: skip
    forged = events.PostLiked(  # a like that is not in the store changes nothing
        event_id=f"forged-{mine}", occurred_ms=1, post_id=mine, author_id=me.uid,
        user_id=me.uid + "x", liked_ms=1,
    )  # fmt: skip
    redeliver("engagement-events", liked, 3)
    redeliver("social-events", followed, 3)
    redeliver("engagement-events", forged, 3)
    time.sleep(4)  # let every redelivered message be consumed
    assert api.get(me, "/v1/notifications") == before


def _likes(api: Api, who: SignedIn) -> int:
    row = next((r for r in rows(api, who) if r["kind"] == "like"), None)
    return 0 if row is None else int(row["actor_count"])


def test_unread_and_read_and_only_the_callers_own(api: Api) -> None:
    me, fan, other = api.user("rme"), api.user("rfan"), api.user("rother")
    first = api.post(me, "one")["id"]
    second = api.post(me, "two")["id"]
    api.call("PUT", f"/v1/posts/{first}/like", fan)
    api.call("PUT", f"/v1/posts/{second}/like", fan)
    eventually(lambda: api.get(me, "/v1/notifications/unread")["unread"] == 2, timeout=60,
               what="two unread")  # fmt: skip
    items = rows(api, me)
    r = api.call("POST", "/v1/notifications/read", me, {"cursor": items[1]["cursor"]})
    assert r.status_code == 200 and r.json() == {"unread": 1}
    assert [x["read"] for x in rows(api, me)] == [False, True]
    assert api.call(
        "POST", "/v1/notifications/read", me, {"cursor": items[0]["cursor"]}
    ).json() == {"unread": 0}
    # somebody else sees their own (none), whatever they send
    assert rows(api, other) == []
    assert api.get(other, "/v1/notifications/unread") == {"unread": 0}
    r = api.call("GET", f"/v1/notifications?user={me.uid}", other)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    # nobody without a token
    assert api.call("GET", "/v1/notifications", None).status_code == 401
    assert api.call("GET", "/v1/notifications/unread", None).status_code == 401
    assert api.call("POST", "/v1/notifications/read", None, {"cursor": "1"}).status_code == 401


def test_bad_input_is_a_clear_4xx(api: Api) -> None:
    me = api.user("bad")
    for path in ("/v1/notifications?cursor=abc", "/v1/notifications?limit=0",
                 "/v1/notifications?limit=51", "/v1/notifications?cursor=" + "9" * 20,
                 "/v1/notifications/unread?x=1"):  # fmt: skip
        r = api.call("GET", path, me)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
        assert r.json()["error"]["code"], path
    bodies: list[Any] = [{}, {"cursor": 5}, {"cursor": "-1"}, {"cursor": "1", "extra": 1}, []]
    for body in bodies:
        r = api.call("POST", "/v1/notifications/read", me, body)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
    r = api.call("POST", "/v1/notifications/read", me, data="cursor=1",
                 headers={"Content-Type": "text/plain"})  # fmt: skip
    assert r.status_code in (400, 415), r.text
