"""Turning a Pub/Sub push (as a CloudEvent) into a validated event, for every consumer function.

Events are opened here, the one place (shared.sealing.open_event): a handler sees personal
fields in the clear, and never sees an event whose author's data key was destroyed (a
crypto-shredded event): that one is a tombstone, skipped and acked, never dead-lettered.

A message that can never be processed (bad JSON, unknown type or version, invalid fields) is
sent straight to the subscription's dead-letter topic and acked: retrying it would only be a
retry storm. Any other exception propagates, the push is answered 500 and Pub/Sub retries with
the subscription's backoff, then dead-letters after max_delivery_attempts.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

from shared import events, observability, sealing, topology
from shared.ports import RawPublisher

log = logging.getLogger(__name__)


def message_of(cloud_event: Any) -> tuple[bytes, dict[str, str], str]:
    """(data, attributes, message id) of the Pub/Sub message inside a CloudEvent."""
    payload = cloud_event.data if hasattr(cloud_event, "data") else cloud_event["data"]
    message = payload.get("message", {}) if isinstance(payload, dict) else {}
    raw = message.get("data") or ""
    try:
        data = base64.b64decode(raw, validate=True)
    except (ValueError, TypeError):
        data = raw.encode() if isinstance(raw, str) else b""
    attrs = {str(k): str(v) for k, v in (message.get("attributes") or {}).items()}
    msg_id = str(message.get("messageId") or message.get("message_id") or "")
    return data, attrs, msg_id


def dead_letter_topic(function: str) -> str:
    for sub in topology.load().subscriptions:
        if sub.function == function:
            return sub.dead_letter_topic
    raise KeyError(f"{function} has no subscription in the topology")


def dead_letter(
    dead_letters: RawPublisher,
    function: str,
    data: bytes,
    attrs: dict[str, str],
    reason: str,
    *,
    message_id: str = "",
) -> None:
    """Send a message ``function`` can never process to its dead-letter topic, loudly.

    The one dead-letter path of every consumer (events here, the media processor's GCS
    notifications too): the original bytes and attributes, plus who refused it and why. The
    caller then acks; retrying would only be a retry storm.
    """
    topic = dead_letter_topic(function)
    log.error(
        "rejected message %s: %s; sent to %s", message_id, reason, topic,
        extra={"json_fields": {"message_id": message_id, "reason": reason, "attributes": attrs}},
    )  # fmt: skip
    dead_letters.publish_raw(
        topic, data, {**attrs, "rejected_by": function, "reason": reason[:1000]}
    )


def consume(
    cloud_event: Any,
    function: str,
    handle: Callable[[events.Event], None],
    dead_letters: RawPublisher,
    *,
    keys: Callable[[], sealing.DataKeys] | None = None,
) -> None:
    """``keys``: a provider, called only for a sealed event (most consumers never see one)."""
    data, attrs, msg_id = message_of(cloud_event)
    observability.set_trace(attrs.get("trace_id"))
    try:
        event = events.decode(data)
    except events.InvalidEvent as exc:
        dead_letter(dead_letters, function, data, attrs, str(exc), message_id=msg_id)
        return
    if getattr(event, "sealed", None) is not None:
        if keys is None:
            raise RuntimeError(f"{function} got a sealed {event.type} and has no data keys")
        try:
            opened = sealing.open_event(event, keys())
        except sealing.UnreadableEvent as exc:
            dead_letter(dead_letters, function, data, attrs, str(exc), message_id=msg_id)
            return
        if isinstance(opened, sealing.Shredded):
            log.info("%s skips %s %s: its author's data key is destroyed (erased account)",
                     function, event.type, event.event_id)  # fmt: skip
            return
        event = opened
    handle(event)
