"""Media through the local API gateway on the whole local platform (`make run`'s LocalStack).

Signed-in users (Auth emulator tokens) upload straight to fake-gcs-server with the session URL,
the bucket notification is pushed through the Pub/Sub emulator to the media_processor function,
and the result is visible through the gateway and at the public media URL.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from devstack.authtools import SignedIn
from devstack.seed_media import Seeder
from devstack.stack import LocalStack
from tests.gateway_users import registered_user, timeline_item
from tests.media.conftest import image_bytes

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(local_stack: LocalStack) -> LocalStack:
    return local_stack


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
    ada = registered_user(stack, "ada")
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

    bob = registered_user(stack, "bob")
    resp = requests.put(
        f"{stack.gateway_url}/v1/me/avatar", json={"media_id": avatar}, headers=bob.headers
    )
    assert resp.status_code == 403
    # The seeding tool goes the same way (emulator tokens, gateway, upload session).
    Seeder(stack.gateway_url, stack.project_id).avatar(bob.uid, 7)
    no_token = requests.post(f"{stack.gateway_url}/v1/media", json={}, timeout=10)
    assert no_token.status_code == 401


def test_image_post_reaches_a_followers_timeline_and_leaves_with_its_files(
    stack: LocalStack,
) -> None:
    gw = stack.gateway_url
    ada, bob = registered_user(stack, "ada"), registered_user(stack, "bob")
    follow = requests.put(f"{gw}/v1/users/{ada.uid}/follow", headers=bob.headers, timeout=10)
    assert follow.status_code == 200, follow.text
    avatar = _upload(stack, ada, image_bytes("PNG", (500, 500)), "image/png", "avatar")
    photo = _upload(stack, ada, image_bytes("JPEG", (1600, 1000)), "image/jpeg", "post")
    assert _status(stack, ada, avatar)["status"] == "ready"
    assert _status(stack, ada, photo)["status"] == "ready"
    put = requests.put(f"{gw}/v1/me/avatar", json={"media_id": avatar}, headers=ada.headers)
    assert put.status_code == 200, put.text

    # Someone else's media is 403; media not processed yet is 409.
    stolen = requests.post(
        f"{gw}/v1/posts", json={"text": "mine now", "media_ids": [photo]}, headers=bob.headers
    )
    assert stolen.status_code == 403, stolen.text
    declared = {"content_type": "image/png", "byte_size": 100, "purpose": "post"}
    waiting = requests.post(f"{gw}/v1/media", json=declared, headers=ada.headers).json()
    early = requests.post(
        f"{gw}/v1/posts", json={"text": "too soon", "media_ids": [waiting["media_id"]]},
        headers=ada.headers,
    )  # fmt: skip
    assert early.status_code == 409, early.text

    created = requests.post(
        f"{gw}/v1/posts", headers={**ada.headers, "Idempotency-Key": uuid.uuid4().hex},
        json={"text": "the view", "media_ids": [photo], "media_alts": ["a grey gradient"]},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    post = created.json()

    item = timeline_item(stack, bob, post["id"])
    assert item["media"] == post["media"]
    (media,) = item["media"]
    assert media["id"] == photo and media["alt"] == "a grey gradient"
    assert [(v["width"], v["height"]) for v in media["variants"]] == [(400, 250), (1200, 750)]
    for v in media["variants"]:
        got = requests.get(v["url"], timeout=10)
        assert got.status_code == 200 and got.headers["Content-Type"] == "image/webp"
    assert item["author"]["avatar"]["id"] == avatar
    own = requests.get(f"{gw}/v1/users/{ada.uid}/posts", headers=bob.headers, timeout=10).json()
    assert own["items"][0]["media"] == post["media"]
    me = requests.get(f"{gw}/v1/me", headers=ada.headers, timeout=10).json()
    assert me["avatar"]["id"] == avatar

    deleted = requests.delete(f"{gw}/v1/posts/{post['id']}", headers=ada.headers, timeout=10)
    assert deleted.status_code == 204, deleted.text
    for v in media["variants"]:
        assert requests.get(v["url"], timeout=10).status_code == 404
    deadline = time.monotonic() + 30
    while any(i["id"] == post["id"] for i in requests.get(
        f"{gw}/v1/timeline", headers=bob.headers, timeout=10
    ).json()["items"]):  # fmt: skip
        assert time.monotonic() < deadline, "the deleted post stayed in the timeline"
        time.sleep(0.3)

    # The seeding tool's image posts go the same way.
    assert Seeder(gw, stack.project_id).image_post(ada.uid, 3) == 201
