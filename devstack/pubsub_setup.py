"""Create the topology of shared/contracts/topology.yaml in a Pub/Sub server (the emulator).

Push endpoints are ``<function URL>/projects/<project>/topics/<topic>``: functions-framework
turns such a push into a CloudEvent. Idempotent: existing topics and subscriptions are kept.
"""

from __future__ import annotations

import contextlib

from google.api_core.exceptions import AlreadyExists
from google.cloud import pubsub_v1
from google.protobuf import duration_pb2

from shared import topology


def _duration(text: str) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=topology.seconds(text))


def dlq_subscription(dlq_topic: str) -> str:
    return f"{dlq_topic}-keep"


def push_endpoint(function_url: str, project: str, topic: str) -> str:
    """Where a subscription pushes: functions-framework reads the topic from this path."""
    return f"{function_url.rstrip('/')}/projects/{project}/topics/{topic}"


def create(project: str, function_urls: dict[str, str]) -> None:
    topo = topology.load()
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    for topic in [*topo.topics, *topo.dead_letter_topics]:
        with contextlib.suppress(AlreadyExists):
            publisher.create_topic(name=publisher.topic_path(project, topic))
    for dlq in topo.dead_letter_topics:
        with contextlib.suppress(AlreadyExists):
            subscriber.create_subscription(
                request={
                    "name": subscriber.subscription_path(project, dlq_subscription(dlq)),
                    "topic": publisher.topic_path(project, dlq),
                    "message_retention_duration": _duration("604800s"),
                }
            )
    for sub in topo.subscriptions:
        endpoint = push_endpoint(function_urls[sub.function], project, sub.topic)
        request = {
            "name": subscriber.subscription_path(project, sub.name),
            "topic": publisher.topic_path(project, sub.topic),
            "push_config": {"push_endpoint": endpoint},
            "ack_deadline_seconds": sub.ack_deadline_seconds,
            "retain_acked_messages": sub.retain_acked_messages,
            "message_retention_duration": _duration(sub.message_retention_duration),
            "retry_policy": {
                "minimum_backoff": _duration(sub.minimum_backoff),
                "maximum_backoff": _duration(sub.maximum_backoff),
            },
            "dead_letter_policy": {
                "dead_letter_topic": publisher.topic_path(project, sub.dead_letter_topic),
                "max_delivery_attempts": sub.max_delivery_attempts,
            },
        }
        with contextlib.suppress(AlreadyExists):
            subscriber.create_subscription(request=request)
