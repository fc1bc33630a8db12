"""The media_processor function's entry side: Cloud Storage notifications of the uploads bucket.

GCS notifications are not our event schema (shared/events.py), so they are parsed here rather
than by ``consume``; one that can never be processed still goes to the dead-letter topic through
the same ``dead_letter`` as every other consumer's. A valid one goes to ``MediaProcessor``.
"""

from __future__ import annotations

import json
from typing import Any

from shared.entrypoints.pubsub.consumer import dead_letter, message_of
from shared.ports import RawPublisher
from shared.usecases.media import MediaProcessor, Notification

FUNCTION = "media_processor"


class InvalidNotification(ValueError):
    pass


def parse_notification(data: bytes, attributes: dict[str, str]) -> Notification:
    """A Cloud Storage Pub/Sub notification (payload format JSON_API_V1)."""
    need = ("eventType", "payloadFormat", "bucketId", "objectId", "objectGeneration")
    missing = [a for a in need if not attributes.get(a)]
    if missing:
        raise InvalidNotification(f"missing attribute(s) {', '.join(missing)}")
    if attributes["payloadFormat"] != "JSON_API_V1":
        raise InvalidNotification(f"payloadFormat {attributes['payloadFormat']} is not JSON_API_V1")
    gen = attributes["objectGeneration"]
    if not gen.isascii() or not gen.isdigit():
        raise InvalidNotification(f"objectGeneration {gen!r} is not a number")
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidNotification(f"data is not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise InvalidNotification("data is not a JSON object")
    if obj.get("name") != attributes["objectId"] or obj.get("bucket") != attributes["bucketId"]:
        raise InvalidNotification("data names another object than the attributes")
    size = str(obj.get("size", ""))
    if not size.isascii() or not size.isdigit():
        raise InvalidNotification(f"size {size!r} is not a number")
    return Notification(
        attributes["eventType"], attributes["bucketId"], attributes["objectId"], int(gen), int(size)
    )


def handle_notification(
    data: bytes,
    attributes: dict[str, str],
    processor: MediaProcessor,
    dead_letters: RawPublisher,
    *,
    message_id: str = "",
) -> str:
    """Process one notification; returns what happened ("dead-lettered" or the processor's)."""
    try:
        n = parse_notification(data, attributes)
    except InvalidNotification as exc:
        dead_letter(dead_letters, FUNCTION, data, attributes, str(exc), message_id=message_id)
        return "dead-lettered"
    return processor.process(n)


def consume_notification(
    cloud_event: Any, processor: MediaProcessor, dead_letters: RawPublisher
) -> str:
    """The push of one notification, as the media_processor function receives it."""
    data, attributes, message_id = message_of(cloud_event)
    return handle_notification(data, attributes, processor, dead_letters, message_id=message_id)
