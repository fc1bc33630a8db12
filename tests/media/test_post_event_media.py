"""PostCreated.media: optional and additive, so version 1 messages old and new both decode."""

from __future__ import annotations

import json

import pytest

from shared import events

OLD = {
    "type": "PostCreated", "version": 1, "event_id": "post-created-1", "occurred_ms": 1,
    "trace_id": None, "post_id": "1", "author_id": "a", "text": "hi", "created_ms": 1,
}  # fmt: skip
PIC = {"id": "a" * 32, "type": "image/webp", "url": "u", "width": 4, "height": 3, "alt": "",
       "variants": [{"url": "u", "width": 4, "height": 3}]}  # fmt: skip


def test_a_message_from_before_media_still_decodes_and_encodes_the_same() -> None:
    event = events.decode(json.dumps(OLD))
    assert isinstance(event, events.PostCreated) and event.media == []
    data, _ = events.encode(event)
    assert json.loads(data) == OLD  # no "media" key: older consumers accept it too


def test_media_travels_with_the_event() -> None:
    event = events.PostCreated.model_validate({**OLD, "media": [PIC]})
    data, attrs = events.encode(event)
    assert attrs["version"] == "1" and json.loads(data)["media"] == [PIC]
    assert events.decode(data) == event


def test_more_than_four_media_is_invalid() -> None:
    with pytest.raises(events.InvalidEvent):
        events.decode(json.dumps({**OLD, "media": [PIC] * 5}))
