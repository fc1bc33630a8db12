"""Media through the local API gateway on the whole local platform (`make run`'s LocalStack).

Signed-in users (Auth emulator tokens) upload straight to fake-gcs-server with the session URL,
the bucket notification is pushed through the Pub/Sub emulator to the media_processor function,
and the result is visible through the gateway and at the public media URL.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from shared.devstack.authtools import SignedIn, sign_up
from shared.devstack.seed_media import Seeder
from shared.devstack.stack import LocalStack, Ports
from tests.media.conftest import image_bytes

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    saved = dict(os.environ)
    stack = LocalStack(
        Path(tmp_path_factory.mktemp("media-stack")), Ports.free(), "demo-kwetter-media",
        persist=False, tick_seconds=1.0,
    )  # fmt: skip
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


def _user(stack: LocalStack, name: str) -> SignedIn:
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


def _upload(stack: LocalStack, user: SignedIn, data: bytes, ctype: str, purpose: str) -> str:
    gw = stack.gateway_url
    resp = requests.post(
        f"{gw}/v1/media", headers={**user.headers, "Origin": "http://127.0.0.1:5173"},
        json={"content_type": ctype, "byte_size": len(data), "purpose": purpose}, timeout=10,
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    body = resp.json()
    put = requests.put(body["upload_url"], data=data, headers={"Content-Type": ctype}, timeout=30)
    assert put.status_code == 200, put.text
    media_id: str = body["media_id"]
    return media_id


def _status(stack: LocalStack, user: SignedIn, media_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while True:
        body: dict[str, object] = requests.get(
            f"{stack.gateway_url}/v1/media/{media_id}", headers=user.headers, timeout=10
        ).json()
        if body["status"] != "pending" or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_avatar_and_post_images_through_the_gateway(stack: LocalStack) -> None:
    ada = _user(stack, "ada")
    avatar = _upload(stack, ada, image_bytes("PNG", (500, 500)), "image/png", "avatar")
    photo = _upload(stack, ada, image_bytes("JPEG", (1600, 1000)), "image/jpeg", "post")
    bogus = _upload(stack, ada, b"GIF89a but not really", "image/gif", "post")

    assert _status(stack, ada, avatar)["status"] == "ready"
    assert _status(stack, ada, photo)["status"] == "ready"
    rejected = _status(stack, ada, bogus)
    assert (rejected["status"], rejected["reason"]) == ("rejected", "undecodable")

    resp = requests.put(
        f"{stack.gateway_url}/v1/me/avatar", json={"media_id": avatar}, headers=ada.headers
    )
    assert resp.status_code == 200, resp.text
    for v in resp.json()["avatar"]["variants"]:
        got = requests.get(v["url"], timeout=10)
        assert got.status_code == 200 and got.headers["Content-Type"] == "image/webp"

    bob = _user(stack, "bob")
    resp = requests.put(
        f"{stack.gateway_url}/v1/me/avatar", json={"media_id": avatar}, headers=bob.headers
    )
    assert resp.status_code == 403
    # The seeding tool goes the same way (emulator tokens, gateway, upload session).
    Seeder(stack.gateway_url, stack.project_id).avatar(bob.uid, 7)
    no_token = requests.post(f"{stack.gateway_url}/v1/media", json={}, timeout=10)
    assert no_token.status_code == 401
