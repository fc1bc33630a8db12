"""Replaying events: the runbook for after a consumer bug, a lost Redis or a long outage.

Three ways back, by how far back they reach:
- seek a subscription to a time or a snapshot: Pub/Sub redelivers what it retained (7 days of
  acked messages on a subscription that retains them);
- republish a time range from the Firestore event log: reaches back to the first post ever;
- redrive a dead-letter subscription to the topic its messages came from, once the cause of
  their failures is fixed.

Consumers are idempotent, so replaying something they already processed changes nothing. The
command line is devstack/replay.py (``make replay``); this module promises the behaviour, over
the ports SubscriptionAdmin and EventLog and a publisher's ``publish_many``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import TypeVar

from shared.domain.posts import PostEvent
from shared.iters import chunked
from shared.ports import EventLog, PulledMessage, SubscriptionAdmin
from shared.usecases.posts import POST_EVENTS_TOPIC

T = TypeVar("T")

# Attributes Pub/Sub adds when it dead-letters a message; the redriven copy starts afresh.
_DEAD_LETTER_ATTRIBUTE_PREFIX = "CloudPubSubDeadLetter"


def seek(
    admin: SubscriptionAdmin,
    subscription: str,
    *,
    when: dt.datetime | None = None,
    snapshot: str | None = None,
) -> None:
    """Seek a subscription to a time (redelivers what was published since) or a snapshot."""
    if (when is None) == (snapshot is None):
        raise ValueError("seek needs exactly one of a time or a snapshot")
    if when is not None:
        admin.seek_to_time(subscription, when)
    else:
        assert snapshot is not None
        admin.seek_to_snapshot(subscription, snapshot)


def original_topic(keep_subscription: str) -> str:
    """``post-events-dlq-keep`` -> ``post-events`` (the naming of topology.yaml)."""
    name = keep_subscription.rsplit("/", 1)[-1].removesuffix("-keep")
    if not name.endswith("-dlq"):
        raise ValueError(f"{keep_subscription!r} is not a <topic>-dlq-keep subscription")
    return name.removesuffix("-dlq")


def redrive(
    admin: SubscriptionAdmin,
    subscription: str,
    topic: str | None = None,
    *,
    max_messages: int | None = None,
) -> tuple[int, int]:
    """Republish what a dead-letter subscription holds to the original topic, then ack it.

    Returns (redriven, skipped). Each message is acked only after its copy was accepted, so an
    interruption makes duplicates at worst (consumers are idempotent). Messages that the
    consumer (shared.entrypoints.pubsub.consumer) rejected as malformed (attribute
    ``rejected_by``) would only come straight back: they are skipped and left in the
    subscription for inspection.
    """
    topic = topic or original_topic(subscription)
    redriven = 0
    skipped: set[str] = set()
    while max_messages is None or redriven < max_messages:
        want = 100 if max_messages is None else min(100, max_messages - redriven)
        received = admin.pull(subscription, want)
        fresh = [m for m in received if m.message_id not in skipped]
        if not fresh:
            if received:  # only the skipped ones came back: hand them back at once
                admin.release(subscription, [m.ack_id for m in received])
            break
        move: list[PulledMessage] = []
        keep: list[PulledMessage] = []
        for m in received:
            (keep if "rejected_by" in m.attributes else move).append(m)
        copies = []
        for m in move:
            attrs = {
                k: v
                for k, v in m.attributes.items()
                if not k.startswith(_DEAD_LETTER_ATTRIBUTE_PREFIX)
            }
            attrs["redriven_from"] = subscription
            copies.append((m.data, attrs))
        if copies:
            admin.publish_raw_many(topic, copies)
            admin.ack(subscription, [m.ack_id for m in move])
        if keep:
            skipped.update(m.message_id for m in keep)
            admin.release(subscription, [m.ack_id for m in keep])
        redriven += len(move)
    return redriven, len(skipped)


def republish(
    log: EventLog,
    publish_many: Callable[[str, list[PostEvent]], None],
    *,
    since_ms: int | None,
    until_ms: int | None,
    topic: str = POST_EVENTS_TOPIC,
    batch_size: int = 500,
) -> Iterator[tuple[int, int]]:
    """Publish every logged event with since <= occurred_ms < until to ``topic``, in time order.

    Lazy: each step publishes one batch, waits for its acks, and yields (events sent so far,
    occurred_ms of the last one sent). A caller interrupted after a step resumes from that
    time: at most one batch is published twice, which consumers absorb. The log is read with
    a cursor, so memory stays flat on any history size.
    """
    sent = 0
    for batch in chunked(log.iter_events(since_ms, until_ms), batch_size):
        publish_many(topic, batch)
        sent += len(batch)
        yield sent, batch[-1].occurred_ms
