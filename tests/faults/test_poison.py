"""Drill 2: a poison message is dead-lettered after 5 attempts while the others keep flowing;
once the cause is fixed, ``replay redrive`` brings it back and it is processed.

The subscription is a push subscription like the ones of topology.yaml (same max delivery
attempts, same dead-letter topic post-events-dlq and its keep subscription), pushing to a real
HTTP endpoint that runs the shared consumer's consume() and fails for one message only. Its
backoff is
shortened to 1-2 s (topology: 10-600 s, i.e. minutes before the fifth attempt) so the drill
takes seconds; the dead-lettering logic does not depend on the backoff.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import pubsub_v1
from google.protobuf import duration_pb2

from devstack import pubsub_setup, replay
from devstack.stack import LocalStack
from shared import events, ids, topology
from shared.entrypoints.pubsub import consumer
from tests.faults import harness

pytestmark = pytest.mark.integration

TOPIC = "drill-poison"
DLQ = "post-events-dlq"  # what the fanout-planner subscription dead-letters to


@dataclass
class Endpoint:
    """A push endpoint: consume() with a handler that raises for the poison event."""

    poison: str
    healed: bool = False
    done: dict[str, float] = field(default_factory=dict)
    attempts: dict[str, list[tuple[float, int | None]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, event: events.Event) -> None:
        if event.event_id == self.poison and not self.healed:
            raise RuntimeError("poison: this message always fails")
        with self.lock:
            self.done.setdefault(event.event_id, time.monotonic())

    def push(self, body: dict[str, Any]) -> int:
        msg = body.get("message", {})
        data, _, _ = consumer.message_of({"data": body})
        event_id = events.decode(data).event_id
        with self.lock:
            self.attempts.setdefault(event_id, []).append(
                (time.monotonic(), body.get("deliveryAttempt") or msg.get("deliveryAttempt"))
            )
        try:
            consumer.consume({"data": body}, "fanout_planner", self.handle, _NoDeadLetters())
        except Exception:
            return 500
        return 204


class _NoDeadLetters:
    def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None:
        raise AssertionError("every drill message is well-formed")


@contextlib.contextmanager
def serve(endpoint: Endpoint) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(endpoint.push(body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/push"
    finally:
        server.shutdown()
        server.server_close()


def _event(n: int) -> events.PostCreated:
    now = int(time.time() * 1000)
    return events.PostCreated(
        event_id=f"drill-{n}-{ids.new_id()}", occurred_ms=now, post_id=str(ids.new_id()),
        author_id="drill", text=f"message {n}", created_ms=now,
    )  # fmt: skip


def _seconds(n: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=n)


def test_poison_is_dead_lettered_after_five_attempts_and_redriven(stack: LocalStack) -> None:
    project = stack.project_id
    planner_sub = next(s for s in topology.load().subscriptions if s.function == "fanout_planner")
    assert planner_sub.dead_letter_topic == DLQ
    assert replay.original_topic(pubsub_setup.dlq_subscription(DLQ)) == "post-events"
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    keep = subscriber.subscription_path(project, pubsub_setup.dlq_subscription(DLQ))
    harness.pull_all(subscriber, keep, quiet=0.5)  # start from an empty dead-letter queue

    with contextlib.suppress(AlreadyExists):
        publisher.create_topic(name=publisher.topic_path(project, TOPIC))
    first = [_event(i) for i in range(10)]
    later = [_event(i) for i in range(10, 20)]
    poison = first[3]
    endpoint = Endpoint(poison=poison.event_id)
    with serve(endpoint) as url:
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(project, f"{TOPIC}-push"),
                "topic": publisher.topic_path(project, TOPIC),
                "push_config": {"push_endpoint": url},
                "ack_deadline_seconds": planner_sub.ack_deadline_seconds,
                "retry_policy": {"minimum_backoff": _seconds(1), "maximum_backoff": _seconds(2)},
                "dead_letter_policy": {
                    "dead_letter_topic": publisher.topic_path(project, DLQ),
                    "max_delivery_attempts": planner_sub.max_delivery_attempts,
                },
            }
        )
        pub = harness.container(stack).publisher
        t0 = time.monotonic()
        pub.publish_many(TOPIC, list(first))
        # The poison is being retried; messages published meanwhile must not wait for it.
        harness.wait_until(lambda: len(endpoint.attempts.get(poison.event_id, [])) >= 2, 30,
                           "the poison's second attempt")  # fmt: skip
        pub.publish_many(TOPIC, list(later))
        good = {e.event_id for e in first + later} - {poison.event_id}
        harness.wait_until(lambda: good <= endpoint.done.keys(), 60, "every good message")
        all_good_at = max(endpoint.done.values()) - t0

        dead = harness.pull_all(subscriber, keep, want=1, timeout=90, ack=False)
        dead_at = time.monotonic() - t0
        assert len(dead) == 1
        assert events.decode(dead[0].message.data).event_id == poison.event_id
        tries = endpoint.attempts[poison.event_id]
        assert len(tries) == planner_sub.max_delivery_attempts == 5
        assert poison.event_id not in endpoint.done
        attrs = dict(dead[0].message.attributes)
        gaps = [round(b[0] - a[0], 1) for a, b in itertools.pairwise(tries)]
        print(f"\npoison: attempts at gaps {gaps}s, all good done at {all_good_at:.1f}s, "
              f"dead-lettered by {dead_at:.1f}s, push deliveryAttempt {[n for _, n in tries]}, "
              f"DLQ attributes {attrs}")  # fmt: skip
        # The dead letter says where it came from and after how many attempts. (Real Pub/Sub
        # also numbers each push, deliveryAttempt; the emulator leaves that out.)
        assert attrs["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"
        assert attrs["CloudPubSubDeadLetterSourceSubscription"] == f"{TOPIC}-push"
        assert all(g >= 0.9 for g in gaps), "the retry backoff was not applied"

        # The cause is fixed: redrive the dead letter to the drill topic; it is processed once.
        endpoint.healed = True
        subscriber.modify_ack_deadline(
            request={"subscription": keep, "ack_ids": [dead[0].ack_id], "ack_deadline_seconds": 0}
        )
        out = io.StringIO()
        moved = replay.redrive(project, pubsub_setup.dlq_subscription(DLQ), TOPIC, out=out)
        assert moved == (1, 0), out.getvalue()
        harness.wait_until(lambda: poison.event_id in endpoint.done, 30, "the redriven poison")
        assert harness.pull_all(subscriber, keep, quiet=1.0) == []
