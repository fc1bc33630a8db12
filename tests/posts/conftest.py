"""Fixtures for the posts tests: a clean Firestore per test, Pub/Sub topics and pull helpers."""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import flask
import pytest
import redis as redis_lib
from google.cloud import firestore, pubsub_v1

from shared import events, ids
from shared.adapters.firestore_posts import FirestorePosts
from shared.adapters.pubsub import PubSubPublisher
from shared.adapters.redis_ratelimit import RedisRateLimiter
from shared.entrypoints.http.api import Router
from tests.conftest import PROJECT_ID
from tests.identity import identity_headers


@pytest.fixture
def db(firestore_emulator: str) -> Iterator[firestore.Client]:
    url = (
        f"http://{firestore_emulator}/emulator/v1/projects/{PROJECT_ID}"
        "/databases/(default)/documents"
    )
    urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=30).read()
    client = firestore.Client(project=PROJECT_ID)
    yield client
    client.close()


@pytest.fixture
def store(db: firestore.Client) -> FirestorePosts:
    return FirestorePosts(db)


class Limiters:
    """The real Redis rate limiter, with a key prefix of its own per test (no shared windows)
    and a stopped clock, so that a Retry-After is exact however slow the machine is."""

    def __init__(self, client: redis_lib.Redis[bytes]) -> None:
        self._client = client
        self._prefix = f"rl:test-{uuid.uuid4().hex[:8]}:"
        self.now_ms = ids.now_ms()

    def __call__(self, limit: int, window_seconds: int) -> RedisRateLimiter:
        return RedisRateLimiter(
            self._client, self._prefix, limit, window_seconds, clock=lambda: self.now_ms
        )


@pytest.fixture
def limiters(redis_url: str) -> Iterator[Limiters]:
    client = redis_lib.Redis.from_url(redis_url)
    yield Limiters(client)
    client.close()


class PubSub:
    """A topic of its own per test: other suites' messages on the shared emulator never mix in."""

    def __init__(self) -> None:
        self.publisher_client = pubsub_v1.PublisherClient()
        self.subscriber = pubsub_v1.SubscriberClient()
        self.publisher = PubSubPublisher(PROJECT_ID, self.publisher_client)

    def topic(self, prefix: str = "post-events") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.publisher_client.create_topic(name=self.publisher_client.topic_path(PROJECT_ID, name))
        return name

    def subscription(self, topic: str, *, retain_acked: bool = False) -> str:
        name = f"sub-{uuid.uuid4().hex[:8]}"
        self.subscriber.create_subscription(
            request={
                "name": self.subscriber.subscription_path(PROJECT_ID, name),
                "topic": self.publisher_client.topic_path(PROJECT_ID, topic),
                "ack_deadline_seconds": 10,
                "retain_acked_messages": retain_acked,
            }
        )
        return name

    def pull(
        self, subscription: str, expect: int, *, timeout: float = 20.0, ack: bool = True
    ) -> list[events.Event]:
        """Pull until ``expect`` messages arrived (or the timeout), acking them; then a short
        extra pull to catch anything beyond ``expect``."""
        path = self.subscriber.subscription_path(PROJECT_ID, subscription)
        got: list[events.Event] = []
        deadline = time.monotonic() + timeout
        settle: float | None = None
        while time.monotonic() < deadline:
            if len(got) >= expect:
                settle = settle or time.monotonic() + 1.0
                if time.monotonic() > settle:
                    break
            resp = self.subscriber.pull(
                request={"subscription": path, "max_messages": 100, "return_immediately": True},
                timeout=5,
            )
            if resp.received_messages:
                got.extend(events.decode(m.message.data) for m in resp.received_messages)
                if ack:
                    self.subscriber.acknowledge(
                        request={
                            "subscription": path,
                            "ack_ids": [m.ack_id for m in resp.received_messages],
                        }
                    )
            else:
                time.sleep(0.2)
        return got


@pytest.fixture
def pubsub(pubsub_emulator: str) -> PubSub:
    return PubSub()


class Client:
    """Calls a Router like API Gateway would: the caller's identity in the userinfo header."""

    def __init__(self, router: Router) -> None:
        app = flask.Flask("posts-test")
        app.add_url_rule(
            "/<path:_path>", "all", lambda _path: router.dispatch(flask.request),
            methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        )  # fmt: skip
        self._client = app.test_client()

    def call(self, method: str, path: str, uid: str | None = "alice", **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}))
        if uid is not None:
            headers |= identity_headers(uid)
        return self._client.open(path, method=method, headers=headers, **kw)
