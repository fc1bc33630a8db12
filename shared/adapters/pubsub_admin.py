"""Pub/Sub's operator side for the replay runbook: seek, snapshots, pulling by hand.

Implements the SubscriptionAdmin port (shared/ports.py). Talks to the emulator when
PUBSUB_EMULATOR_HOST is set, to GCP with Application Default Credentials otherwise. Names are
short (``fanout-planner``), paths are built here for ``project``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.cloud import pubsub_v1
from google.protobuf import timestamp_pb2

from shared.ports import PulledMessage


class PubSubAdmin:
    def __init__(self, project_id: str, subscriber: Any = None, publisher: Any = None) -> None:
        self._project = project_id
        self._sub = subscriber or pubsub_v1.SubscriberClient()
        self._pub = publisher or pubsub_v1.PublisherClient()

    def _subscription(self, name: str) -> str:
        return str(self._sub.subscription_path(self._project, name))

    def seek_to_time(self, subscription: str, when: dt.datetime) -> None:
        stamp = timestamp_pb2.Timestamp()
        stamp.FromDatetime(when.astimezone(dt.UTC).replace(tzinfo=None))
        self._sub.seek(request={"subscription": self._subscription(subscription), "time": stamp})

    def seek_to_snapshot(self, subscription: str, snapshot: str) -> None:
        self._sub.seek(
            request={
                "subscription": self._subscription(subscription),
                "snapshot": self._sub.snapshot_path(self._project, snapshot),
            }
        )

    def create_snapshot(self, subscription: str, name: str) -> None:
        self._sub.create_snapshot(
            request={
                "name": self._sub.snapshot_path(self._project, name),
                "subscription": self._subscription(subscription),
            }
        )

    def pull(self, subscription: str, max_messages: int) -> list[PulledMessage]:
        resp = self._sub.pull(
            request={"subscription": self._subscription(subscription),
                     "max_messages": max_messages},
            timeout=10,
        )  # fmt: skip
        return [
            PulledMessage(
                ack_id=m.ack_id,
                message_id=m.message.message_id,
                data=bytes(m.message.data),
                attributes=dict(m.message.attributes),
            )
            for m in resp.received_messages
        ]

    def ack(self, subscription: str, ack_ids: list[str]) -> None:
        self._sub.acknowledge(
            request={"subscription": self._subscription(subscription), "ack_ids": ack_ids}
        )

    def release(self, subscription: str, ack_ids: list[str]) -> None:
        self._sub.modify_ack_deadline(
            request={"subscription": self._subscription(subscription),
                     "ack_deadline_seconds": 0, "ack_ids": ack_ids}
        )  # fmt: skip

    def publish_raw_many(self, topic: str, messages: list[tuple[bytes, dict[str, str]]]) -> None:
        path = self._pub.topic_path(self._project, topic)
        futures = [self._pub.publish(path, data, **attrs) for data, attrs in messages]
        for f in futures:
            f.result(timeout=60)
