"""Users for tests that go through the gateway: signed up in the Auth emulator, registered."""

from __future__ import annotations

import uuid

import requests

from shared.devstack.authtools import SignedIn, sign_up
from shared.devstack.stack import LocalStack


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
