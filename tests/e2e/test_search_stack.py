"""Search through the whole local stack (issue 22): a post made through the gateway is found
by search and its hashtag page once the search_indexer consumer had it from post-events;
its author by typeahead; after its delete, it is found no more."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
import requests

from devstack.stack import LocalStack
from tests.gateway_users import registered_user

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def _wait(check: Callable[[], bool], what: str, timeout: float = 60) -> float:
    t0 = time.monotonic()
    while not check():
        assert time.monotonic() - t0 < timeout, f"{what} not within {timeout:.0f}s"
        time.sleep(0.2)
    return time.monotonic() - t0


def test_post_found_by_search_and_gone_after_delete(local_stack: LocalStack) -> None:
    gw = local_stack.gateway_url
    author = registered_user(local_stack, "seeker")
    word = f"zq{uuid.uuid4().hex[:10]}"
    resp = requests.post(f"{gw}/v1/posts", json={"text": f"hello {word} #StackTest"},
                         headers=author.headers, timeout=60)  # fmt: skip
    assert resp.status_code == 201, resp.text
    post = resp.json()
    assert post["hashtags"] == ["stacktest"]

    def found(path: str) -> bool:
        r = requests.get(f"{gw}{path}", headers=author.headers, timeout=60)
        assert r.status_code == 200, r.text
        return post["id"] in {p["id"] for p in r.json()["items"]}

    _wait(lambda: found(f"/v1/search/posts?q={word}"), "the post in search")
    assert found("/v1/hashtags/stacktest/posts")
    me = requests.get(f"{gw}/v1/users/{author.uid}", headers=author.headers, timeout=60).json()

    def typed_ahead() -> bool:  # users are indexed beside registration, not inside it
        r = requests.get(f"{gw}/v1/search/users?q={me['handle'][:9]}", headers=author.headers,
                         timeout=60)  # fmt: skip
        assert r.status_code == 200, r.text
        return me["id"] in {u["id"] for u in r.json()["items"]}

    _wait(typed_ahead, "the author in typeahead")
    assert requests.get(f"{gw}/v1/trends", headers=author.headers, timeout=60).status_code == 200
    assert requests.get(f"{gw}/v1/search/posts?q=a*", headers=author.headers,
                        timeout=60).status_code == 400  # fmt: skip

    gone = requests.delete(f"{gw}/v1/posts/{post['id']}", headers=author.headers, timeout=60)
    assert gone.status_code in (200, 204), gone.text
    _wait(lambda: not found(f"/v1/search/posts?q={word}"), "the deleted post out of search")
    assert not found("/v1/hashtags/stacktest/posts")
