"""register → follow → post → home timeline, through the gateway, on the real services."""

from __future__ import annotations

import uuid

import pytest
import requests

from devstack.authtools import SignedIn, sign_up
from devstack.stack import LocalStack
from tests.gateway_users import registered_user, timeline_item

pytestmark = pytest.mark.e2e


def _timeline_ids(stack: LocalStack, user: SignedIn) -> list[str]:
    resp = requests.get(f"{stack.gateway_url}/v1/timeline", headers=user.headers, timeout=10)
    assert resp.status_code in (200, 206), resp.text
    return [p["id"] for p in resp.json()["items"]]


def test_a_post_reaches_followers_and_only_them(local_stack: LocalStack):
    gw = local_stack.gateway_url
    author, follower, stranger = (registered_user(local_stack, n) for n in ("ada", "bob", "cy"))

    for _ in range(2):  # idempotent
        resp = requests.put(f"{gw}/v1/users/{author.uid}/follow", headers=follower.headers)
        assert resp.status_code == 200, resp.text
        assert resp.json()["following"] is True

    resp = requests.post(
        f"{gw}/v1/posts", json={"text": "  hello, Kwetter! 👋  "}, headers=author.headers
    )
    assert resp.status_code == 201, resp.text
    post = resp.json()
    assert post["text"] == "hello, Kwetter! 👋" and post["id"].isdigit()

    timeline_item(local_stack, follower, post["id"], timeout=15)
    assert post["id"] not in _timeline_ids(local_stack, stranger)

    page = requests.get(f"{gw}/v1/timeline?limit=1", headers=follower.headers).json()
    assert page["items"][0]["text"] == "hello, Kwetter! 👋"


@pytest.mark.parametrize(
    "method, path, body, status",
    [
        ("POST", "/v1/posts", {"text": "   "}, 422),
        ("POST", "/v1/posts", {"text": "x" * 281}, 422),
        ("POST", "/v1/posts", {"nope": 1}, 400),
        ("GET", "/v1/timeline?limit=0", None, 400),
        ("GET", "/v1/timeline?before=abc", None, 400),
        ("GET", "/v1/nowhere", None, 404),
    ],
)
def test_bad_requests_get_json_4xx(local_stack: LocalStack, method, path, body, status):
    user = registered_user(local_stack, "eve")
    resp = requests.request(
        method, f"{local_stack.gateway_url}{path}", json=body, headers=user.headers, timeout=10
    )
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"]


def test_no_token_is_401(local_stack: LocalStack):
    resp = requests.get(f"{local_stack.gateway_url}/v1/timeline", timeout=10)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthenticated"


def test_taken_handle_is_409(local_stack: LocalStack):
    first = registered_user(local_stack, "dup")
    me = requests.get(f"{local_stack.gateway_url}/v1/me", headers=first.headers).json()
    emulator = local_stack.describe()["auth_emulator"]
    other = sign_up(emulator, f"x{uuid.uuid4().hex}@k.test", "pw1234")
    resp = requests.post(
        f"{local_stack.gateway_url}/v1/users",
        json={"handle": me["handle"].upper(), "display_name": "Other"},
        headers=other.headers,
    )
    assert resp.status_code == 409
