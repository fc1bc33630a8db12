import json

import pytest

from shared import events


def _created(**over: object) -> events.PostCreated:
    base: dict[str, object] = dict(
        event_id="e1", occurred_ms=1, post_id="123", author_id="alice", text="hi", created_ms=1
    )
    base.update(over)
    return events.PostCreated.model_validate(base)


def test_round_trip_keeps_every_field_and_sets_attributes():
    ev = _created(trace_id="t-1")
    data, attrs = events.encode(ev)
    assert attrs == {"type": "PostCreated", "version": "1", "trace_id": "t-1"}
    assert events.decode(data) == ev


@pytest.mark.parametrize(
    "payload, reason",
    [
        (b"not json", "not JSON"),
        (b"[1,2]", "JSON object"),
        (json.dumps({"type": "Nope", "version": 1}).encode(), "unknown event type"),
        (json.dumps({"type": "PostCreated", "version": 2}).encode(), "unsupported PostCreated"),
        (
            json.dumps({"type": "PostCreated", "version": 1, "event_id": "x"}).encode(),
            "invalid PostCreated",
        ),
    ],
)
def test_decode_rejects_loudly(payload, reason):
    with pytest.raises(events.InvalidEvent, match=reason):
        events.decode(payload)


def test_extra_fields_and_bad_ids_are_rejected():
    data, _ = events.encode(_created())
    body = json.loads(data)
    with pytest.raises(events.InvalidEvent):
        events.decode(json.dumps({**body, "surprise": 1}))
    with pytest.raises(events.InvalidEvent):
        events.decode(json.dumps({**body, "post_id": "12a"}))


def test_fanout_batch_caps_recipients():
    with pytest.raises(ValueError):
        events.FanoutBatch(
            event_id="b",
            occurred_ms=0,
            op="add",
            post_id="1",
            author_id="a",
            created_ms=0,
            recipients=["u"] * 5001,
            batch_no=0,
        )
