"""Reposts reach home timelines through the whole local stack (gateway, posts function,
outbox, Pub/Sub, fan-out planner, timeline writer, timeline function): "reposted by" with the
original's own fields and counts, un-repost, and the original's deletion removing every repost."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.authtools import SignedIn
from tests.conversations.conftest import Api, eventually

pytestmark = pytest.mark.e2e


def _home(api: Api, who: SignedIn) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(who, "/v1/timeline?limit=100")["items"]
    return items


def test_a_repost_reaches_the_reposters_followers_and_goes_with_the_original(api: Api) -> None:
    author, reposter, reader = api.user("rhauthor"), api.user("rhreposter"), api.user("rhreader")
    api.follow(reader, reposter)  # the reader does not follow the author
    pid = api.post(author, "worth sharing")["id"]
    r = api.call("PUT", f"/v1/posts/{pid}/repost", reposter)
    assert r.status_code == 200 and r.json()["reposted"] is True, r.text

    def reposted_item() -> dict[str, Any] | None:
        items = [i for i in _home(api, reader) if i["id"] == pid]
        return items[0] if items and items[0].get("reposted_by") else None

    def counted() -> bool:
        item = reposted_item()
        return item is not None and item["repost_count"] == 1

    eventually(counted, what="the repost, counted, in the reader's home")
    item = reposted_item()
    assert item is not None
    assert (item["author_id"], item["text"]) == (author.uid, "worth sharing")
    assert item["reposted_by"]["count"] == 1
    assert [u["id"] for u in item["reposted_by"]["users"]] == [reposter.uid]
    assert item["reposted_by_me"] is False
    assert [i["id"] for i in _home(api, reader)].count(pid) == 1
    # The reposter's profile lists the repost among their posts, as Twitter's does.
    own = api.post(reposter, "my own words")["id"]

    def profile(who: SignedIn) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = api.get(reader, f"/v1/users/{who.uid}/posts?limit=20")[
            "items"
        ]
        return items

    eventually(lambda: [i["id"] for i in profile(reposter)] == [own, pid], what="their profile")
    shared = profile(reposter)[1]
    assert [u["id"] for u in shared["reposted_by"]["users"]] == [reposter.uid]
    assert (shared["author_id"], shared["repost_count"]) == (author.uid, 1)
    assert [i["id"] for i in profile(author)] == [pid]  # the author's own: no "reposted by"
    assert not profile(author)[0].get("reposted_by")

    r = api.call("DELETE", f"/v1/posts/{pid}/repost", reposter)
    assert r.status_code == 200 and r.json()["reposted"] is False, r.text
    eventually(lambda: pid not in api.home_ids(reader), what="the un-repost")
    eventually(lambda: [i["id"] for i in profile(reposter)] == [own], what="off their profile")

    assert api.call("PUT", f"/v1/posts/{pid}/repost", reposter).status_code == 200
    eventually(lambda: reposted_item() is not None, what="the repost again")
    assert api.call("DELETE", f"/v1/posts/{pid}", author).status_code == 204
    eventually(
        lambda: pid not in api.home_ids(reader) and pid not in api.home_ids(reposter),
        what="the original's deletion removing its repost",
    )
