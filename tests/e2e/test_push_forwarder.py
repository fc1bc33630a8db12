"""The benchmark's push forwarder: more than the emulator's 2 pushes in flight, nothing lost."""

from __future__ import annotations

import pytest
import requests
from google.cloud import pubsub_v1

from devstack.authtools import SignedIn
from devstack.bench_e2e import start_forwarders
from devstack.stack import LocalStack
from tests.gateway_users import registered_user, timeline_item

pytestmark = pytest.mark.e2e


def _endpoints(stack: LocalStack, subs: list[str]) -> dict[str, str]:
    client = pubsub_v1.SubscriberClient()
    return {s: client.get_subscription(subscription=s).push_config.push_endpoint for s in subs}


def _post_reaches(stack: LocalStack, author: SignedIn, follower: SignedIn, text: str) -> None:
    resp = requests.post(
        f"{stack.gateway_url}/v1/posts", json={"text": text}, headers=author.headers
    )
    assert resp.status_code == 201, resp.text
    timeline_item(stack, follower, resp.json()["id"], timeout=20)


def test_forwarded_posts_arrive_and_stop_restores_push(local_stack: LocalStack) -> None:
    author, follower = (registered_user(local_stack, n) for n in ("fwa", "fwb"))
    resp = requests.put(
        f"{local_stack.gateway_url}/v1/users/{author.uid}/follow", headers=follower.headers
    )
    assert resp.status_code == 200, resp.text
    forwarders = start_forwarders(local_stack, 4)
    subs = [f.path for f in forwarders]
    assert len(subs) == 2
    try:
        assert set(_endpoints(local_stack, subs).values()) == {""}  # the emulator's loops stopped
        for i in range(5):
            _post_reaches(local_stack, author, follower, f"forwarded {i}")
    finally:
        for f in forwarders:
            f.stop()
    assert _endpoints(local_stack, subs) == {f.path: f.endpoint for f in forwarders}
    _post_reaches(local_stack, author, follower, "pushed by the emulator again")
