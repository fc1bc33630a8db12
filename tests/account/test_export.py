"""POST/GET /v1/me/export on the real services: the archive, opened from its signed URL
(fake-gcs-server), says what the user did; one an hour; nobody gets another's archive."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest

from shared import config
from shared.bootstrap import Container
from tests.conftest import PROJECT_ID
from tests.media.conftest import fake_gcs_host  # noqa: F401  (fixture)

from .conftest import Api, register

pytestmark = pytest.mark.integration


@pytest.fixture
def c(container: Container, fake_gcs_host: str, pubsub_emulator: str) -> Container:  # noqa: F811
    s = container.settings
    settings = config.Settings(
        project_id=PROJECT_ID, neo4j_uri=s.neo4j_uri, redis_url=s.redis_url,
        exports_bucket="acct-exports",
    )  # fmt: skip
    out = Container(
        settings, neo4j_driver=container.neo4j_driver, graph=container.graph,
        redis=container.redis,
    )  # fmt: skip
    out.export_files.ensure_bucket()
    assert os.environ.get("STORAGE_EMULATOR_HOST")
    return out


def test_export_archive_matches_what_the_user_did(c: Container) -> None:
    api = Api(c, "users")
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
    assert r.status_code == 202 and r.json["status"] == "ready", r.json
    again = api.call("POST", "/v1/me/export", "uid-ex-a")
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0
    r = api.call("GET", "/v1/me/export", "uid-ex-a")
    assert r.status_code == 200 and r.json["status"] == "ready"
    assert "X-Goog-Signature=" in r.json["url"] and r.json["expires_at"].endswith("Z")
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
    assert archive["likes"] == [] and "event_log" in archive["also_stored"]
    # Nobody gets someone else's export: the route only ever names the caller's own.
    assert api.call("GET", "/v1/me/export", "uid-ex-b").status_code == 404
    assert api.call("GET", "/v1/me/export", None).status_code == 401
