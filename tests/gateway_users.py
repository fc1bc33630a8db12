"""Users for tests that go through the gateway: signed up in the Auth emulator, registered."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests

from devstack.authtools import SignedIn, sign_up
from devstack.stack import LocalStack


def registered_user(stack: LocalStack, name: str) -> SignedIn:
    tag = uuid.uuid4().hex[:8]
    user = sign_up(stack.describe()["auth_emulator"], f"{name}-{tag}@kwetter.test", "secret-pw")
    resp = requests.post(
        f"{stack.gateway_url}/v1/users",
        json={"handle": f"{name}_{tag}", "display_name": name.title()},
        headers=user.headers,
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    return user


def timeline_item(
    stack: LocalStack, user: SignedIn, post_id: str, timeout: float = 30
) -> dict[str, Any]:
    """The post in the user's home timeline, once fan-out delivered it."""
    deadline = time.monotonic() + timeout
    while True:
        body = requests.get(f"{stack.gateway_url}/v1/timeline", headers=user.headers, timeout=10)
        assert body.status_code in (200, 206), body.text
        items = [i for i in body.json()["items"] if i["id"] == post_id]
        if items:
            item: dict[str, Any] = items[0]
            return item
        assert time.monotonic() < deadline, f"post {post_id} never reached the timeline"
        time.sleep(0.3)
