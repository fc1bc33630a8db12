"""Redrive (shared.usecases.replay.redrive) over an in-memory subscription: what moves, what
stays, and that a message is acked only after its copy was published."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.ports import PulledMessage
from shared.usecases import replay


class Subscription:
    """A dead-letter subscription: pull hands out what is neither acked nor held."""

    def __init__(self, messages: list[PulledMessage]) -> None:
        self.messages = {m.ack_id: m for m in messages}
        self.log: list[str] = []
        self.published: list[tuple[str, bytes, dict[str, str]]] = []

    def seek_to_time(self, subscription: str, when: dt.datetime) -> None:
        self.log.append(f"seek {subscription} {when.isoformat()}")

    def seek_to_snapshot(self, subscription: str, snapshot: str) -> None:
        self.log.append(f"seek {subscription} {snapshot}")

    def create_snapshot(self, subscription: str, name: str) -> None:
        raise AssertionError("not used")

    def pull(self, subscription: str, max_messages: int) -> list[PulledMessage]:
        return list(self.messages.values())[:max_messages]

    def ack(self, subscription: str, ack_ids: list[str]) -> None:
        self.log.append(f"ack {len(ack_ids)}")
        for a in ack_ids:
            del self.messages[a]

    def release(self, subscription: str, ack_ids: list[str]) -> None:
        self.log.append(f"release {len(ack_ids)}")

    def publish_raw_many(self, topic: str, messages: list[tuple[bytes, dict[str, str]]]) -> None:
        self.log.append(f"publish {len(messages)}")
        self.published += [(topic, d, a) for d, a in messages]


def _msg(i: int, **attrs: str) -> PulledMessage:
    return PulledMessage(f"ack-{i}", f"id-{i}", f"data {i}".encode(), attrs)


def test_redrive_moves_dead_letters_and_keeps_the_malformed() -> None:
    sub = Subscription(
        [
            _msg(1, type="PostCreated", CloudPubSubDeadLetterSourceDeliveryCount="5"),
            _msg(2, rejected_by="fanout_planner"),
            _msg(3, type="PostDeleted"),
        ]
    )
    assert replay.redrive(sub, "post-events-dlq-keep") == (2, 1)
    assert [(t, d) for t, d, _ in sub.published] == [
        ("post-events", b"data 1"), ("post-events", b"data 3"),
    ]  # fmt: skip
    assert sub.published[0][2] == {"type": "PostCreated", "redriven_from": "post-events-dlq-keep"}
    assert sub.log[:3] == ["publish 2", "ack 2", "release 1"]  # acked after the publish
    assert list(sub.messages) == ["ack-2"]  # left for inspection


def test_redrive_stops_at_max_and_names_the_topic() -> None:
    sub = Subscription([_msg(i) for i in range(5)])
    assert replay.redrive(sub, "x-dlq-keep", "drill", max_messages=2) == (2, 0)
    assert {t for t, _, _ in sub.published} == {"drill"} and len(sub.messages) == 3
    with pytest.raises(ValueError):
        replay.original_topic("not-a-keep-subscription")


def test_seek_needs_one_target() -> None:
    sub = Subscription([])
    with pytest.raises(ValueError):
        replay.seek(sub, "s")
    replay.seek(sub, "s", snapshot="before")
    assert sub.log == ["seek s before"]
