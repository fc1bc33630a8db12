"""topology.yaml, created in the real Pub/Sub emulator, and the consumer's dead-lettering."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cloudevents.http import CloudEvent
from google.cloud import pubsub_v1

from devstack import pubsub_setup
from shared import events, topology
from shared.adapters.pubsub import PubSubPublisher
from shared.entrypoints.pubsub import consumer
from tests.conftest import PROJECT_ID

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def created(pubsub_emulator: str) -> dict[str, str]:
    urls = {f: f"http://127.0.0.1:9/{f}" for f in topology.load().functions}
    pubsub_setup.create(PROJECT_ID, urls)
    pubsub_setup.create(PROJECT_ID, urls)  # idempotent
    return urls


def test_every_subscription_matches_the_topology(created: dict[str, str]):
    subscriber = pubsub_v1.SubscriberClient()
    for sub in topology.load().subscriptions:
        got = subscriber.get_subscription(
            subscription=subscriber.subscription_path(PROJECT_ID, sub.name)
        )
        assert got.topic.endswith(f"/topics/{sub.topic}")
        assert got.push_config.push_endpoint == (
            f"{created[sub.function]}/projects/{PROJECT_ID}/topics/{sub.topic}"
        )
        assert got.dead_letter_policy.dead_letter_topic.endswith(f"/topics/{sub.dead_letter_topic}")
        assert got.dead_letter_policy.max_delivery_attempts == 5
        assert got.retry_policy.minimum_backoff.seconds == topology.seconds(sub.minimum_backoff)
        assert got.retry_policy.maximum_backoff.seconds == topology.seconds(sub.maximum_backoff)
        assert got.retain_acked_messages == sub.retain_acked_messages
        assert got.ack_deadline_seconds == sub.ack_deadline_seconds


def _cloud_event(data: bytes, attrs: dict[str, str]) -> CloudEvent:
    message = {"data": base64.b64encode(data).decode(), "attributes": attrs, "messageId": "m1"}
    return CloudEvent(
        {"type": "google.cloud.pubsub.topic.v1.messagePublished", "source": "test"},
        {"message": message, "subscription": "s"},
    )


def _pull_all(
    sub_path: str, want: int, timeout: float = 10
) -> list[pubsub_v1.types.ReceivedMessage]:
    subscriber = pubsub_v1.SubscriberClient()
    got: list[pubsub_v1.types.ReceivedMessage] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        resp = subscriber.pull(subscription=sub_path, max_messages=10, timeout=5)
        if resp.received_messages:
            subscriber.acknowledge(
                subscription=sub_path, ack_ids=[m.ack_id for m in resp.received_messages]
            )
            got.extend(resp.received_messages)
    return got


def test_malformed_messages_go_straight_to_the_dead_letter_topic(created: dict[str, str]):
    publisher = PubSubPublisher(PROJECT_ID)
    handled: list[events.Event] = []
    dlq = consumer.dead_letter_topic("fanout_planner")
    keep = pubsub_v1.SubscriberClient().subscription_path(
        PROJECT_ID, pubsub_setup.dlq_subscription(dlq)
    )
    bad = json.dumps({"type": "PostCreated", "version": 99}).encode()
    consumer.consume(
        _cloud_event(bad, {"type": "PostCreated"}), "fanout_planner", handled.append, publisher
    )
    consumer.consume(_cloud_event(b"\xff", {}), "fanout_planner", handled.append, publisher)
    assert handled == []
    dead = _pull_all(keep, 2)
    assert sorted(m.message.data for m in dead) == sorted([bad, b"\xff"])
    assert {m.message.attributes["rejected_by"] for m in dead} == {"fanout_planner"}


def test_valid_messages_reach_the_handler(created: dict[str, str]):
    ev = events.UserFollowed(event_id="e", occurred_ms=1, follower_id="a", followee_id="b")
    data, attrs = events.encode(ev)
    handled: list[events.Event] = []
    consumer.consume(
        _cloud_event(data, attrs), "follow_sync", handled.append, PubSubPublisher(PROJECT_ID)
    )
    assert handled == [ev]
