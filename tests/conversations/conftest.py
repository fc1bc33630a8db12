"""Fixtures for the conversations tests (replies, threads, likes, reposts): the whole local
platform (tests/conftest.py ``local_stack``: every function, the gateway, the emulators), users
signed up and registered through it, and the stack's own Pub/Sub and Redis for redelivery and
wipe drills."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis as redis_lib
import requests
from google.cloud import pubsub_v1

from devstack.authtools import SignedIn, sign_up
from devstack.stack import LocalStack
from shared import events


class Api:
    """The gateway, called as a signed-in user would."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.gw = stack.gateway_url

    def user(self, name: str) -> SignedIn:
        """Signed up and registered (tests/gateway_users.registered_user, with the patience
        of a machine shared by several suites: a cold users function can take over 10 s)."""
        tag = uuid.uuid4().hex[:8]
        emulator = self.stack.describe()["auth_emulator"]
        user = sign_up(emulator, f"{name}-{tag}@kwetter.test", "secret-pw")
        r = requests.post(
            f"{self.gw}/v1/users", json={"handle": f"{name}_{tag}", "display_name": name.title()},
            headers=user.headers, timeout=90,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        return user

    def call(
        self, method: str, path: str, who: SignedIn | None, body: Any = None, **kw: Any
    ) -> requests.Response:
        headers = dict(kw.pop("headers", {}))
        if who is not None:
            headers |= who.headers
        return requests.request(
            method, f"{self.gw}{path}", json=body, headers=headers, timeout=60, **kw
        )

    def post(self, who: SignedIn, text: str, reply_to: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"text": text}
        if reply_to is not None:
            body["reply_to"] = reply_to
        r = self.call("POST", "/v1/posts", who, body)
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out

    def follow(self, who: SignedIn, whom: SignedIn) -> None:
        r = self.call("PUT", f"/v1/users/{whom.uid}/follow", who)
        assert r.status_code == 200, r.text

    def get(self, who: SignedIn, path: str) -> dict[str, Any]:
        r = self.call("GET", path, who)
        assert r.status_code in (200, 206), r.text
        out: dict[str, Any] = r.json()
        return out

    def home_ids(self, who: SignedIn) -> list[str]:
        return [p["id"] for p in self.get(who, "/v1/timeline?limit=100")["items"]]


def eventually(check: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.25)


@pytest.fixture(scope="session")
def api(local_stack: LocalStack) -> Api:
    return Api(local_stack)


@pytest.fixture
def stack_redis(local_stack: LocalStack) -> Iterator[redis_lib.Redis[bytes]]:
    client = redis_lib.Redis.from_url(local_stack.redis_url)
    yield client
    client.close()


class Redeliver:
    """Publishes an event again on the stack's own topic, as Pub/Sub redelivers it."""

    def __init__(self, stack: LocalStack) -> None:
        self.project = stack.project_id
        self.client = pubsub_v1.PublisherClient()

    def __call__(self, topic: str, event: events._Event, times: int = 3) -> None:
        data, attrs = events.encode(event)
        path = self.client.topic_path(self.project, topic)
        for _ in range(times):
            self.client.publish(path, data, **attrs).result(timeout=30)


@pytest.fixture
def redeliver(local_stack: LocalStack) -> Redeliver:
    # local_stack set PUBSUB_EMULATOR_HOST for this process when it started
    return Redeliver(local_stack)
