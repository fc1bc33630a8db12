"""Blocks, mutes, reports and moderators through the whole local stack (gateway, users, posts
and timeline functions, Pub/Sub, the follow sync, the fan-out planner): the rules of
docs/safety.md as a client sees them, with the stable error codes."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
import redis as redis_lib
import requests

from devstack.authtools import SignedIn, sign_in
from devstack.services import REPO
from devstack.stack import LocalStack
from shared import events, ids
from shared.adapters import redis_keys as keys
from shared.adapters.firebase_accounts import FirebaseRoles
from tests.conversations.conftest import Api, Redeliver, api, eventually, redeliver

__all__ = ["api", "redeliver"]
pytestmark = pytest.mark.e2e


def _code(r: requests.Response) -> str:
    body: dict[str, Any] = r.json()
    return str(body["error"]["code"])


def _following(api: Api, who: SignedIn, uid: str) -> set[str]:
    return {u["id"] for u in api.get(who, f"/v1/users/{uid}/following?limit=100")["items"]}


def _with_role(api: Api, who: SignedIn, role: str) -> SignedIn:
    """The account with a custom claim on the stack's Auth emulator, signed in again (claims
    reach ID tokens at sign-in), as `make grant-role` does."""
    stack: LocalStack = api.stack
    os.environ["FIREBASE_AUTH_EMULATOR_HOST"] = stack.describe()["env"][
        "FIREBASE_AUTH_EMULATOR_HOST"
    ]
    assert FirebaseRoles(stack.project_id).set_role(who.uid, role, True)
    return sign_in(stack.describe()["auth_emulator"], who.email, "secret-pw")


def test_a_block_removes_follows_forbids_new_ones_and_hides_both_sides(api: Api) -> None:
    a, b = api.user("blka"), api.user("blkb")
    api.follow(a, b)
    api.follow(b, a)
    pb = api.post(b, "from b")["id"]
    pa = api.post(a, "from a")["id"]
    eventually(lambda: pb in api.home_ids(a), what="b's post in a's home")
    eventually(lambda: pa in api.home_ids(b), what="a's post in b's home")

    r = api.call("PUT", f"/v1/users/{b.uid}/block", a)
    assert r.status_code == 200 and r.json() == {"id": b.uid, "blocking": True, "muting": False}
    # filtered at read: gone at once from both homes, entries already there included
    assert pb not in api.home_ids(a)
    assert pa not in api.home_ids(b)
    # the follows are gone both ways, and none can come back
    assert b.uid not in _following(api, a, a.uid)
    assert a.uid not in _following(api, b, b.uid)
    for who, whom in ((a, b), (b, a)):
        r = api.call("PUT", f"/v1/users/{whom.uid}/follow", who)
        assert r.status_code == 403 and _code(r) == "blocked", r.text
    # a profile says so, without the content
    prof = api.get(b, f"/v1/users/{a.uid}")
    assert prof["blocks_me"] is True and prof["blocked_by_me"] is False and prof["bio"] == ""
    assert api.get(a, f"/v1/users/{b.uid}")["blocked_by_me"] is True
    for who, whom in ((a, b), (b, a)):
        r = api.call("GET", f"/v1/users/{whom.uid}/posts", who)
        assert r.status_code == 403 and _code(r) == "blocked", r.text
    # no reply across the block, no thread of the other's
    r = api.call("POST", "/v1/posts", b, {"text": "reply", "reply_to": pa})
    assert r.status_code == 403 and _code(r) == "blocked", r.text
    r = api.call("GET", f"/v1/posts/{pa}/thread", b)
    assert r.status_code == 403 and _code(r) == "blocked", r.text
    # listed, and repeating changes nothing
    assert [u["id"] for u in api.get(a, "/v1/me/blocks")["items"]] == [b.uid]
    assert api.call("PUT", f"/v1/users/{b.uid}/block", a).status_code == 200
    assert api.get(b, "/v1/me/blocks")["items"] == []
    # lifted: visible again, follows are not restored, a new follow is allowed
    r = api.call("DELETE", f"/v1/users/{b.uid}/block", a)
    assert r.status_code == 200 and r.json()["blocking"] is False
    assert api.call("GET", f"/v1/users/{b.uid}/posts", a).status_code == 200
    assert b.uid not in _following(api, a, a.uid)
    api.follow(a, b)


def test_a_mute_takes_posts_out_of_home_only(api: Api) -> None:
    a, c = api.user("mutea"), api.user("mutec")
    api.follow(a, c)
    pc = api.post(c, "loud")["id"]
    eventually(lambda: pc in api.home_ids(a), what="c's post in a's home")
    r = api.call("PUT", f"/v1/users/{c.uid}/mute", a)
    assert r.status_code == 200 and r.json()["muting"] is True
    assert pc not in api.home_ids(a)  # the entry already there is filtered at read
    # nothing else changes: still following, their profile and posts readable, they see a
    assert c.uid in _following(api, a, a.uid)
    posts = api.get(a, f"/v1/users/{c.uid}/posts")["items"]
    assert [p["id"] for p in posts] == [pc]
    assert api.get(c, f"/v1/users/{a.uid}").get("blocks_me") is False
    assert [u["id"] for u in api.get(a, "/v1/me/mutes")["items"]] == [c.uid]
    later = api.post(c, "still loud")["id"]  # pushed after the mute: also kept out
    eventually(lambda: later in [p["id"] for p in api.get(a, f"/v1/users/{c.uid}/posts")["items"]])
    assert later not in api.home_ids(a)
    assert api.call("DELETE", f"/v1/users/{c.uid}/mute", a).status_code == 200
    eventually(lambda: {pc, later} <= set(api.home_ids(a)), what="unmuted posts back")


MODERATION_ROUTES = [
    ("GET", "/v1/moderation/reports", None),
    ("GET", "/v1/moderation/audit", None),
    ("POST", "/v1/moderation/reports/" + "0" * 32 + "/dismiss", {"reason": "x"}),
    ("POST", "/v1/moderation/posts/1/remove", {"reason": "x"}),
    ("PUT", "/v1/moderation/users/someone/suspension", {"reason": "x"}),
    ("DELETE", "/v1/moderation/users/someone/suspension", None),
]
ADMIN_ROUTES = [("PUT", "/v1/admin/moderators/someone", None),
                ("DELETE", "/v1/admin/moderators/someone", None)]  # fmt: skip


def test_a_non_moderator_gets_403_on_every_moderation_route(api: Api) -> None:
    u = api.user("plain")
    for method, path, body in MODERATION_ROUTES:
        r = api.call(method, path, u, body)
        assert r.status_code == 403 and _code(r) == "moderator_only", (path, r.text)
    for method, path, body in ADMIN_ROUTES:
        r = api.call(method, path, u, body)
        assert r.status_code == 403 and _code(r) == "admin_only", (path, r.text)
    # a moderator is not an admin
    mod = _with_role(api, api.user("modnotadmin"), "moderator")
    for method, path, body in ADMIN_ROUTES:
        r = api.call(method, path, mod, body)
        assert r.status_code == 403 and _code(r) == "admin_only", (path, r.text)
    # the claim alone is not enough: the granted record is (a revocation is immediate)
    r = api.call("GET", "/v1/moderation/reports", mod)
    assert r.status_code == 403 and _code(r) == "moderator_only", r.text


def test_reports_removal_and_suspension_with_their_audit(api: Api) -> None:
    admin = _with_role(api, api.user("admin"), "admin")
    mod_user = api.user("mod")
    r = api.call("PUT", f"/v1/admin/moderators/{mod_user.uid}", admin)
    assert r.status_code == 200 and r.json()["granted"] is True, r.text
    mod = sign_in(api.stack.describe()["auth_emulator"], mod_user.email, "secret-pw")
    author, reader, reporter = api.user("abuser"), api.user("areader"), api.user("reporter")
    api.follow(reader, author)
    bad = api.post(author, "abuse")["id"]
    keep = api.post(author, "harmless")["id"]
    eventually(lambda: {bad, keep} <= set(api.home_ids(reader)), what="posts in the home")

    # a report, idempotent per reporter and target
    r = api.call("POST", "/v1/reports", reporter, {"post_id": bad, "reason": "harassment",
                                                   "text": "look"})  # fmt: skip
    assert r.status_code == 201, r.text
    report = r.json()
    again = api.call("POST", "/v1/reports", reporter, {"post_id": bad, "reason": "harassment"})
    assert again.status_code == 200 and again.json()["id"] == report["id"]
    listed = api.get(mod, "/v1/moderation/reports?limit=100")["items"]
    mine = [x for x in listed if x["id"] == report["id"]]
    assert mine and mine[0]["reporter_id"] == reporter.uid
    assert mine[0]["target_author_id"] == author.uid

    # removal: gone from the home as a delete, the report closed, audited; a retry is a no-op
    for changed in (True, False):
        r = api.call("POST", f"/v1/moderation/posts/{bad}/remove", mod, {"reason": "abusive"})
        assert r.status_code == 200 and r.json()["changed"] is changed, r.text
    eventually(lambda: bad not in api.home_ids(reader), what="the removed post leaves the home")
    assert api.call("GET", f"/v1/posts/{bad}", reader).status_code == 404
    listed = api.get(mod, "/v1/moderation/reports?limit=100")["items"]
    assert report["id"] not in {x["id"] for x in listed}
    audit = api.get(mod, "/v1/moderation/audit?limit=100")["items"]
    removals = [e for e in audit if e["action"] == "remove_post" and e["target"] == bad]
    assert len(removals) == 1 and removals[0]["actor_id"] == mod.uid
    assert removals[0]["reason"] == "abusive"

    # suspension: cannot post or follow (clear 403), posts hidden; lifted, all comes back
    r = api.call("PUT", f"/v1/moderation/users/{author.uid}/suspension", mod, {"reason": "spam"})
    assert r.status_code == 200 and r.json()["changed"] is True, r.text
    r = api.call("POST", "/v1/posts", author, {"text": "again"})
    assert r.status_code == 403 and _code(r) == "account_suspended", r.text
    r = api.call("PUT", f"/v1/users/{reader.uid}/follow", author)
    assert r.status_code == 403 and _code(r) == "account_suspended", r.text
    assert keep not in api.home_ids(reader)
    assert api.get(reader, f"/v1/users/{author.uid}")["suspended"] is True
    r = api.call("DELETE", f"/v1/moderation/users/{author.uid}/suspension", mod)
    assert r.status_code == 200 and r.json()["changed"] is True, r.text
    assert keep in api.home_ids(reader)
    assert api.call("POST", "/v1/posts", author, {"text": "back"}).status_code == 201
    actions = [e["action"] for e in api.get(mod, "/v1/moderation/audit?limit=100")["items"]]
    assert {"grant_moderator", "remove_post", "suspend", "unsuspend"} <= set(actions)

    # revoked: refused at once, though the token still carries the claim
    r = api.call("DELETE", f"/v1/admin/moderators/{mod_user.uid}", admin)
    assert r.status_code == 200 and r.json()["granted"] is False, r.text
    r = api.call("GET", "/v1/moderation/reports", mod)
    assert r.status_code == 403 and _code(r) == "moderator_only", r.text


def test_bad_input_is_a_4xx_with_a_code_never_a_5xx(api: Api) -> None:
    u, other = api.user("badin"), api.user("badother")
    cases: list[tuple[str, str, Any, int, str]] = [
        ("PUT", f"/v1/users/{u.uid}/block", None, 400, "bad_request"),  # yourself
        ("PUT", f"/v1/users/{u.uid}/mute", None, 400, "bad_request"),
        ("PUT", "/v1/users/no!pe/block", None, 400, "bad_request"),
        ("PUT", "/v1/users/nobody-here/block", None, 404, "not_found"),
        ("GET", "/v1/me/blocks?cursor=!!!", None, 400, "bad_request"),
        ("GET", "/v1/me/mutes?limit=0", None, 400, "bad_request"),
        ("POST", "/v1/reports", {"user_id": other.uid, "reason": "nope"}, 400, "bad_request"),
        ("POST", "/v1/reports", {"user_id": other.uid}, 400, "bad_request"),
        ("POST", "/v1/reports", {"reason": "spam"}, 400, "bad_request"),
        ("POST", "/v1/reports", {"user_id": other.uid, "post_id": "1", "reason": "spam"}, 400,
         "bad_request"),
        ("POST", "/v1/reports", {"user_id": other.uid, "reason": "spam", "x": 1}, 400,
         "bad_request"),
        ("POST", "/v1/reports", {"user_id": other.uid, "reason": "spam", "text": 5}, 400,
         "bad_request"),
        ("POST", "/v1/reports", {"user_id": other.uid, "reason": "spam", "text": "x" * 1001},
         422, "validation_failed"),
        ("POST", "/v1/reports", {"post_id": "12x", "reason": "spam"}, 400, "bad_request"),
        ("POST", "/v1/reports", {"post_id": "1", "reason": "spam"}, 404, "post_not_found"),
        ("POST", "/v1/reports", {"user_id": "nobody-here", "reason": "spam"}, 404, "not_found"),
        ("POST", "/v1/reports", {"user_id": u.uid, "reason": "spam"}, 400, "bad_request"),
        ("POST", "/v1/reports", [1, 2], 400, "bad_request"),
    ]  # fmt: skip
    reporter = u
    for i, (method, path, body, status, code) in enumerate(cases):
        if path == "/v1/reports" and i % 8 == 0 and i:
            reporter = api.user("badrep")  # 10 reports an hour for an unverified account
        who = reporter if path == "/v1/reports" else u
        if body == {"user_id": u.uid, "reason": "spam"}:
            who = u  # reporting yourself
        r = api.call(method, path, who, body)
        assert (r.status_code, _code(r)) == (status, code), (method, path, body, r.text)
    mod_user = api.user("badmod")
    admin = _with_role(api, api.user("badadmin"), "admin")
    assert api.call("PUT", f"/v1/admin/moderators/{mod_user.uid}", admin).status_code == 200
    mod = sign_in(api.stack.describe()["auth_emulator"], mod_user.email, "secret-pw")
    mod_cases: list[tuple[str, str, Any, int]] = [
        ("POST", "/v1/moderation/posts/1/remove", {}, 400),
        ("POST", "/v1/moderation/posts/1/remove", {"reason": ""}, 422),
        ("POST", "/v1/moderation/posts/1/remove", {"reason": 3}, 400),
        ("POST", "/v1/moderation/posts/1/remove", {"reason": "x"}, 404),
        ("POST", "/v1/moderation/posts/abc/remove", {"reason": "x"}, 400),
        ("POST", "/v1/moderation/reports/xyz/dismiss", {"reason": "x"}, 400),
        ("POST", "/v1/moderation/reports/" + "0" * 32 + "/dismiss", {"reason": "x"}, 404),
        ("PUT", "/v1/moderation/users/nobody-here/suspension", {"reason": "x"}, 404),
        ("PUT", f"/v1/moderation/users/{mod.uid}/suspension", {"reason": "x"}, 400),
        ("GET", "/v1/moderation/reports?cursor=" + "z" * 600, None, 400),
        ("PUT", "/v1/admin/moderators/nobody-here", None, 404),
    ]
    for method, path, body, status in mod_cases:
        r = api.call(method, path, mod if "admin" not in path else admin, body)
        assert r.status_code == status, (method, path, body, r.text)
        assert isinstance(_code(r), str)


def test_reports_are_rate_limited(api: Api) -> None:
    u, other = api.user("ratelimited"), api.user("ratetarget")
    answers = [
        api.call("POST", "/v1/reports", u, {"user_id": other.uid, "reason": "spam"})
        for _ in range(11)
    ]
    assert [a.status_code for a in answers[:10]] == [201] + [200] * 9  # the same report
    assert answers[10].status_code == 429 and _code(answers[10]) == "rate_limited"
    assert int(answers[10].headers["Retry-After"]) > 0


def test_redelivered_events_after_a_block_or_a_removal_change_nothing(
    api: Api, redeliver: Redeliver
) -> None:
    a, b = api.user("redela"), api.user("redelb")
    api.follow(a, b)
    pb = api.post(b, "before the block")["id"]
    eventually(lambda: pb in api.home_ids(a), what="b's post in a's home")
    assert api.call("PUT", f"/v1/users/{b.uid}/block", a).status_code == 200
    assert pb not in api.home_ids(a)
    # the follow's own event delivered again (3x, as Pub/Sub may): the follow sync re-reads
    # the graph, where the follow is gone and cannot come back
    ev = events.UserFollowed(event_id=f"fol-redeliver-{a.uid}", occurred_ms=1,
                             follower_id=a.uid, followee_id=b.uid)  # fmt: skip
    redeliver("social-events", ev)
    # a marker through the same subscription, published after: a follow of c backfills c's post
    c = api.user("redelc")
    pc = api.post(c, "marker")["id"]
    api.follow(a, c)
    eventually(lambda: pc in api.home_ids(a), what="the marker follow's backfill")
    stack_redis = redis_lib.Redis.from_url(api.stack.redis_url)
    try:
        assert stack_redis.zscore(keys.home(a.uid), pb) is None  # not backfilled again
    finally:
        stack_redis.close()
    assert b.uid not in _following(api, a, a.uid)
    assert pb not in api.home_ids(a)

    # a moderator's removal, its PostDeleted delivered 3x more: gone once, counted once
    admin = _with_role(api, api.user("redeladmin"), "admin")
    reader = api.user("redelreader")
    api.follow(reader, b)
    gone = api.post(b, "to be removed")["id"]
    eventually(lambda: gone in api.home_ids(reader), what="the post in the reader's home")
    r = api.call("POST", f"/v1/moderation/posts/{gone}/remove", admin, {"reason": "spam"})
    assert r.status_code == 200 and r.json()["changed"] is True, r.text
    eventually(lambda: gone not in api.home_ids(reader), what="removed from the home")
    redeliver("post-events", events.PostDeleted(
        event_id=f"redeliver-{gone}", occurred_ms=1, post_id=gone, author_id=b.uid,
        created_ms=ids.timestamp_ms(int(gone)),
    ))  # fmt: skip
    keep = api.post(b, "still here")["id"]
    eventually(lambda: keep in api.home_ids(reader), what="a later post arrives")
    assert gone not in api.home_ids(reader)
    audit = api.get(admin, "/v1/moderation/audit?limit=100")["items"]
    assert len([e for e in audit if e["action"] == "remove_post" and e["target"] == gone]) == 1


def test_search_leaves_out_the_blocked_the_muted_and_the_suspended(api: Api) -> None:
    """Issues 21 and 22: search results and hashtag pages never show a post by someone the
    searcher blocks, mutes or is blocked by, nor by a suspended account."""
    admin = _with_role(api, api.user("sadmin"), "admin")
    mod_user = api.user("smod")
    assert api.call("PUT", f"/v1/admin/moderators/{mod_user.uid}", admin).status_code == 200
    mod = sign_in(api.stack.describe()["auth_emulator"], mod_user.email, "secret-pw")
    word = f"zq{ids.new_id() % 10**9}"
    names = ("sme", "sblocked", "sblocker", "smuted", "sgone", "sother")
    me, blocked, blocker, muted, gone, other = (api.user(n) for n in names)
    post_of = {
        who.uid: api.post(who, f"{word} said by {name} #{word}")["id"]
        for who, name in zip((me, blocked, blocker, muted, gone, other), names, strict=True)
    }

    def found(who: SignedIn, path: str) -> set[str]:
        return {p["id"] for p in api.get(who, path)["items"]}

    search, tag = f"/v1/search/posts?q={word}&sort=newest", f"/v1/hashtags/{word}/posts"
    eventually(lambda: len(found(other, search)) == 6, timeout=60, what="all six indexed")
    assert api.call("PUT", f"/v1/users/{blocked.uid}/block", me).status_code == 200
    assert api.call("PUT", f"/v1/users/{me.uid}/block", blocker).status_code == 200
    assert api.call("PUT", f"/v1/users/{muted.uid}/mute", me).status_code == 200
    r = api.call("PUT", f"/v1/moderation/users/{gone.uid}/suspension", mod, {"reason": "spam"})
    assert r.status_code == 200, r.text
    for path in (search, tag):
        assert found(me, path) == {post_of[me.uid], post_of[other.uid]}, path
        # someone else sees everyone's but the suspended account's
        assert found(other, path) == set(post_of.values()) - {post_of[gone.uid]}, path
    # the post itself, by its id: across the block 403 blocked, the suspended one not found
    for author in (blocked, blocker):
        r = api.call("GET", f"/v1/posts/{post_of[author.uid]}", me)
        assert r.status_code == 403 and _code(r) == "blocked", r.text
    assert api.call("GET", f"/v1/posts/{post_of[gone.uid]}", other).status_code == 404
    assert api.call("GET", f"/v1/posts/{post_of[muted.uid]}", me).status_code == 200
    assert api.call("GET", f"/v1/posts/{post_of[gone.uid]}", gone).status_code == 200


def test_who_liked_and_what_was_liked_leave_out_the_blocked(api: Api) -> None:
    """Issue 21: the likers of a post never name someone the reader blocks or is blocked by,
    a user's likes leave out posts by them, and across a block with the author (or the liker)
    the list is refused as the thread is (403 blocked)."""
    author, me = api.user("lauthor"), api.user("lme")
    blocked, blocker, muted, fan = (api.user(n) for n in ("lblocked", "lblocker", "lmuted", "lfan"))
    pid = api.post(author, "liked by many")["id"]
    for who in (blocked, blocker, muted, fan):
        assert api.call("PUT", f"/v1/posts/{pid}/like", who).status_code == 200
    by_blocked = api.post(blocked, "by the one I block")["id"]
    by_blocker = api.post(blocker, "by the one who blocks me")["id"]
    for p in (by_blocked, by_blocker):
        assert api.call("PUT", f"/v1/posts/{p}/like", fan).status_code == 200

    def likers(who: SignedIn, limit: int = 100) -> list[str]:
        return [u["id"] for u in api.get(who, f"/v1/posts/{pid}/likes?limit={limit}")["items"]]

    def liked(who: SignedIn, whose: SignedIn) -> list[str]:
        return [p["id"] for p in api.get(who, f"/v1/users/{whose.uid}/likes?limit=100")["items"]]

    everyone = [fan.uid, muted.uid, blocker.uid, blocked.uid]
    assert likers(me) == everyone
    assert liked(me, fan) == [by_blocker, by_blocked, pid]
    assert api.call("PUT", f"/v1/users/{blocked.uid}/block", me).status_code == 200
    assert api.call("PUT", f"/v1/users/{me.uid}/block", blocker).status_code == 200
    assert api.call("PUT", f"/v1/users/{muted.uid}/mute", me).status_code == 200
    # a mute changes nothing here; the blocked either way are gone, for me only
    assert likers(me) == [fan.uid, muted.uid]
    assert likers(fan) == everyone
    assert liked(me, fan) == [pid]
    assert liked(fan, fan) == [by_blocker, by_blocked, pid]
    # a short page past the hidden keeps its cursor: paging on finds nothing more
    page = api.get(me, f"/v1/posts/{pid}/likes?limit=3")
    assert [u["id"] for u in page["items"]] == [fan.uid, muted.uid]
    assert page["next_cursor"] is not None
    rest = api.get(me, f"/v1/posts/{pid}/likes?limit=3&cursor={page['next_cursor']}")
    assert rest["items"] == [] and rest["next_cursor"] is None
    # across a block with the author or the liker: refused, as their posts and threads are
    for path in (f"/v1/posts/{by_blocked}/likes", f"/v1/posts/{by_blocker}/likes",
                 f"/v1/users/{blocked.uid}/likes", f"/v1/users/{blocker.uid}/likes"):  # fmt: skip
        r = api.call("GET", path, me)
        assert r.status_code == 403 and _code(r) == "blocked", (path, r.text)
    # lifted: named again
    assert api.call("DELETE", f"/v1/users/{blocked.uid}/block", me).status_code == 200
    assert likers(me) == [fan.uid, muted.uid, blocked.uid]


def _make_grant_role(stack: LocalStack, uid: str, role: str, revoke: bool = False) -> str:
    """`make grant-role` itself, against the test session's stack (its stack.json), as a
    developer runs it against `make run`'s."""
    cmd = ["make", "-s", "grant-role", f"UID={uid}", f"ROLE={role}", f"WORKDIR={stack.workdir}",
           f"PY={sys.executable}"] + (["REVOKE=1"] if revoke else [])  # fmt: skip
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_make_grant_role_gives_and_takes_the_role_on_the_stacks_auth_emulator(api: Api) -> None:
    mod_user, admin_user = api.user("mkmod"), api.user("mkadmin")
    emulator = api.stack.describe()["auth_emulator"]
    r = api.call("GET", "/v1/moderation/reports", mod_user)
    assert r.status_code == 403 and _code(r) == "moderator_only", r.text
    out = _make_grant_role(api.stack, mod_user.uid, "moderator")
    assert f"granted moderator for {mod_user.uid}" in out
    mod = sign_in(emulator, mod_user.email, "secret-pw")  # the claim reaches a new token
    assert api.call("GET", "/v1/moderation/reports", mod).status_code == 200
    actions = [(e["action"], e["target"]) for e in
               api.get(mod, "/v1/moderation/audit?limit=100")["items"]]  # fmt: skip
    assert ("grant_moderator", mod_user.uid) in actions
    # an admin made by make: passes the admins' route, which a moderator does not
    _make_grant_role(api.stack, admin_user.uid, "admin")
    admin = sign_in(emulator, admin_user.email, "secret-pw")
    other = api.user("mkother")
    assert api.call("PUT", f"/v1/admin/moderators/{other.uid}", admin).status_code == 200
    r = api.call("PUT", f"/v1/admin/moderators/{other.uid}", mod)
    assert r.status_code == 403 and _code(r) == "admin_only", r.text
    # revoked by make: refused at once, though the token still carries the claim
    _make_grant_role(api.stack, mod_user.uid, "moderator", revoke=True)
    r = api.call("GET", "/v1/moderation/reports", mod)
    assert r.status_code == 403 and _code(r) == "moderator_only", r.text
    # bad input: a clear refusal, not a traceback
    bad = subprocess.run(
        ["make", "-s", "grant-role", "UID=nobody-here", "ROLE=moderator",
         f"WORKDIR={api.stack.workdir}", f"PY={sys.executable}"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode != 0 and "no Auth emulator account nobody-here" in bad.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "devstack.grant_role", "--uid", mod_user.uid, "--role", "king",
         "--workdir", str(api.stack.workdir)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode != 0 and "ROLE must be one of" in bad.stderr


def test_people_search_leaves_out_the_blocked_and_the_suspended(api: Api) -> None:
    """The people typeahead (`GET /v1/search/users`, also the composer's mentions) never
    offers someone the searcher blocks or is blocked by, nor a suspended account; a mute
    changes nothing there."""
    admin = _with_role(api, api.user("padmin"), "admin")
    mod_user = api.user("pmod")
    assert api.call("PUT", f"/v1/admin/moderators/{mod_user.uid}", admin).status_code == 200
    mod = sign_in(api.stack.describe()["auth_emulator"], mod_user.email, "secret-pw")
    word = f"pq{ids.new_id() % 10**7}"
    me, blocked, blocker, muted, gone, other = (
        api.user(f"{word}{n}") for n in ("me", "bd", "br", "mu", "go", "ot")
    )

    def found(who: SignedIn) -> set[str]:
        return {u["id"] for u in api.get(who, f"/v1/search/users?q={word}&limit=20")["items"]}

    six = {x.uid for x in (me, blocked, blocker, muted, gone, other)}
    eventually(lambda: found(other) == six, timeout=60, what="all six in the typeahead")
    assert api.call("PUT", f"/v1/users/{blocked.uid}/block", me).status_code == 200
    assert api.call("PUT", f"/v1/users/{me.uid}/block", blocker).status_code == 200
    assert api.call("PUT", f"/v1/users/{muted.uid}/mute", me).status_code == 200
    r = api.call("PUT", f"/v1/moderation/users/{gone.uid}/suspension", mod, {"reason": "spam"})
    assert r.status_code == 200, r.text
    assert found(me) == {me.uid, muted.uid, other.uid}
    assert found(blocker) == six - {me.uid, gone.uid}
    assert found(other) == six - {gone.uid}
    assert api.call("DELETE", f"/v1/users/{blocked.uid}/block", me).status_code == 200
    assert blocked.uid in found(me)
