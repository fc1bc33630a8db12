"""The timeline function's HTTP routes (router over the real Redis)."""

from __future__ import annotations

from typing import Any

import flask
import pytest

from shared.bootstrap import HTTP_FUNCTIONS, Container
from tests.identity import identity_headers
from tests.timeline.conftest import Engine, make_id
from tests.timeline.fakes import NoAvatars

pytestmark = pytest.mark.integration

app = flask.Flask(__name__)
T0 = 1_770_000_000_000


def _get(engine: Engine, path: str, uid: str | None = "r") -> tuple[int, Any]:
    c = Container(
        engine.settings, timelines=engine.tl, graph=engine.graph, posts=engine.store,
        profile_cards=engine.cards, avatars=NoAvatars(),
        engagement=None,  # counts are tests/conversations' (they need Firestore): zeros here
        # blocks, mutes and suspensions are tests/safety's (they need Neo4j): nobody here
        silencing=None, suspensions=None,
    )  # fmt: skip
    router = HTTP_FUNCTIONS["timeline"](c)
    headers = identity_headers(uid) if uid is not None else {}
    with app.test_request_context(path, method="GET", headers=headers):
        resp = router.dispatch(flask.request)
    return resp.status_code, resp.get_json()


def test_home_timeline_page_shape_and_cursor(engine: Engine) -> None:
    engine.user("a", "r")
    engine.follow("r", "a")
    pids = [engine.post("a", T0 + i * 60_000, f"post {i}") for i in range(3)]
    status, body = _get(engine, "/v1/timeline?limit=2")
    assert status == 200
    assert [i["id"] for i in body["items"]] == [str(pids[2]), str(pids[1])]
    assert body["items"][0] == {
        "id": str(pids[2]), "author_id": "a", "text": "post 2", "created_ms": T0 + 120_000,
        "media": [], "author": {"handle": "h_a", "display_name": "User a", "avatar": None},
        "reply_to": None, "root_id": None, "deleted": False, "like_count": 0, "reply_count": 0,
        "repost_count": 0, "liked_by_me": False, "reposted_by_me": False, "mentions": [],
    }  # fmt: skip
    assert body["next_cursor"] == str(pids[1]) and body["regenerating"] is False
    status, body = _get(engine, f"/v1/timeline?limit=2&before={pids[1]}")
    assert [i["id"] for i in body["items"]] == [str(pids[0])] and body["next_cursor"] is None


def test_regenerating_timeline_answers_206(engine: Engine) -> None:
    engine.user("a")
    engine.user("r", active=False)
    engine.follow("r", "a")
    pid = engine.post("a", T0)
    status, body = _get(engine, "/v1/timeline")
    assert status == 206 and body["regenerating"] is True
    assert [i["id"] for i in body["items"]] == [str(pid)]


def test_following_nobody_is_not_regenerating(engine: Engine) -> None:
    """Issue 17: a new account's first read said "being rebuilt" (206) with nothing to rebuild."""
    engine.user("r", active=False)
    status, body = _get(engine, "/v1/timeline")
    assert status == 200 and body["regenerating"] is False and body["items"] == []


def test_newer_counts_and_tags_the_head(engine: Engine) -> None:
    engine.user("a", "r")
    engine.follow("r", "a")
    pids = [engine.post("a", T0 + i * 60_000, f"post {i}") for i in range(3)]
    _, page = _get(engine, "/v1/timeline?limit=20")
    status, news = _get(engine, f"/v1/timeline/newer?after={pids[2]}")
    assert status == 200 and news == {"count": 0, "head": page["head"], "regenerating": False}
    _, news = _get(engine, f"/v1/timeline/newer?after={pids[0]}")
    assert news["count"] == 2
    _, news = _get(engine, "/v1/timeline/newer?after=0")
    assert news["count"] == 3
    # A new post and a deleted one both change the tag; the count says only what is new.
    fresh = engine.post("a", T0 + 600_000, "new")
    _, news = _get(engine, f"/v1/timeline/newer?after={pids[2]}")
    assert news["count"] == 1 and news["head"] != page["head"]
    _, page = _get(engine, "/v1/timeline?limit=20")
    assert page["items"][0]["id"] == str(fresh)
    tag = page["head"]
    engine.delete("a", pids[1])
    _, news = _get(engine, f"/v1/timeline/newer?after={fresh}")
    assert news["count"] == 0 and news["head"] != tag


@pytest.mark.parametrize("after", ["", "x", "-1", "99999999999999999999", "1.5"])
def test_newer_refuses_a_bad_after(engine: Engine, after: str) -> None:
    engine.user("r")
    status, body = _get(engine, f"/v1/timeline/newer?after={after}")
    assert status == 400 and body["error"]["code"] in ("bad_request", "invalid_input")


def test_user_posts(engine: Engine) -> None:
    engine.user("a", "r")
    pid = engine.post("a", T0)
    status, body = _get(engine, "/v1/users/a/posts")
    assert status == 200 and [i["id"] for i in body["items"]] == [str(pid)]
    status, body = _get(engine, "/v1/users/nobody/posts")
    assert status == 404 and body["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    ["/v1/timeline?limit=0", "/v1/timeline?limit=101", "/v1/timeline?limit=x",
     "/v1/timeline?before=abc", "/v1/timeline?before=99999999999999999999",
     "/v1/users/a/posts?before=-1"],
)  # fmt: skip
def test_bad_queries_are_400(engine: Engine, path: str) -> None:
    engine.user("a", "r")
    status, body = _get(engine, path)
    assert status == 400 and body["error"]["code"] == "bad_request"


def test_no_identity_is_401(engine: Engine) -> None:
    assert _get(engine, "/v1/timeline", uid=None)[0] == 401
    assert _get(engine, "/v1/users/a/posts", uid=None)[0] == 401


def test_writer_logs_the_fanout_lag(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import time as _time

    from shared import events as ev

    created = int(_time.time() * 1000) - 250
    batch = ev.FanoutBatch(
        event_id="b1", occurred_ms=created, op="add", post_id=str(make_id(created)),
        author_id="a", created_ms=created, recipients=["x", "y"], batch_no=3,
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="shared.usecases.fanout"):
        engine.writer.handle(batch)
    logged = [r for r in caplog.records if r.getMessage() == "fan-out batch written"]
    fields = logged[0].json_fields  # type: ignore[attr-defined]
    assert fields["fanout_lag_ms"] >= 250
    assert (fields["recipients"], fields["batch_no"], fields["op"]) == (2, 3, "add")
