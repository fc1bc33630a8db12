"""Authentication and authorization through the local gateway, on the real stack."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from devstack.authtools import emulator_token
from devstack.stack import LocalStack
from tests.faults import harness

pytestmark = pytest.mark.integration

ROUTES = [
    ("GET", "/v1/me"),
    ("GET", "/v1/timeline"),
    ("POST", "/v1/posts"),
    ("PUT", "/v1/users/someone/follow"),
    ("DELETE", "/v1/posts/123"),
]


def _forged(claims: dict[str, object]) -> str:
    def seg(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{seg({'alg': 'none', 'typ': 'JWT'})}.{seg(claims)}."


@pytest.mark.parametrize("method, path", ROUTES)
def test_bad_tokens_are_401(stack: LocalStack, method: str, path: str) -> None:
    url = f"{stack.gateway_url}{path}"
    issuer = f"https://securetoken.google.com/{stack.project_id}"
    no_subject = _forged({"iss": issuer, "aud": stack.project_id, "exp": 2**31})
    bad = {
        "none": {},
        "garbage": {"Authorization": "Bearer not-a-jwt"},
        "basic": {"Authorization": "Basic dXNlcjpwdw=="},
        "expired": {
            "Authorization": f"Bearer {emulator_token('u1', stack.project_id, ttl_seconds=-600)}"
        },
        "other project": {"Authorization": f"Bearer {emulator_token('u1', 'someone-else')}"},
        "no subject": {"Authorization": f"Bearer {no_subject}"},
    }
    for why, headers in bad.items():
        r = requests.request(method, url, headers=headers, json={"text": "x"}, timeout=30)
        assert r.status_code == 401, (why, r.text)
        assert r.json()["error"]["code"] == "unauthenticated", why


def test_nobody_acts_as_someone_else(stack: LocalStack) -> None:
    alice, bob, carol = harness.register(stack, "authz", 3)
    post = alice.post("alice's own words")
    assert post.status_code == 201
    pid = post.json()["id"]

    # Deleting another's post: 403, and the post stays.
    r = bob.call("DELETE", f"/v1/posts/{pid}")
    assert r.status_code == 403, r.text
    assert bob.call("GET", f"/v1/posts/{pid}").status_code == 200

    # An identity in the body is refused (posts) or ignored (follows): the token decides.
    r = bob.call("POST", "/v1/posts", json={"text": "as alice", "author_id": alice.uid})
    assert r.status_code == 400, r.text
    r = bob.call("PUT", f"/v1/users/{carol.uid}/follow", json={"follower_id": alice.uid})
    assert r.status_code == 200
    following = alice.call("GET", f"/v1/users/{alice.uid}/following").json()["items"]
    assert carol.uid not in [u["id"] for u in following]
    followers = carol.call("GET", f"/v1/users/{carol.uid}/followers").json()["items"]
    assert [u["id"] for u in followers] == [bob.uid]

    # A client-sent gateway identity header is dropped: the post is bob's, not alice's.
    spoof = harness.Client(stack.gateway_url, bob.uid, bob.token)
    userinfo = base64.urlsafe_b64encode(json.dumps({"sub": alice.uid}).encode()).decode()
    r = spoof.call(
        "POST", "/v1/posts", json={"text": "spoofed?"},
        headers={"X-Apigateway-Api-Userinfo": userinfo.rstrip("=")},
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["author_id"] == bob.uid, r.text

    # Unfollowing on someone's behalf is not expressible either: it is the caller's edge.
    assert alice.call("DELETE", f"/v1/users/{carol.uid}/follow").json()["changed"] is False
    followers = carol.call("GET", f"/v1/users/{carol.uid}/followers").json()["items"]
    assert [u["id"] for u in followers] == [bob.uid]
