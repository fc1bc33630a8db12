"""Cursors a client sends back are untrusted input: anything we did not hand out is a 400."""

from __future__ import annotations

import base64
import json

import pytest

from shared.domain import errors
from shared.domain.users import decode_cursor, encode_cursor


def _raw(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_cursor_we_handed_out_round_trips() -> None:
    assert decode_cursor(encode_cursor(1_770_000_000_000, "u42")) == (1_770_000_000_000, "u42")


@pytest.mark.parametrize(
    "cursor",
    [
        _raw([2**63, "u"]),  # past Neo4j's 64-bit integers: was a 500 from the driver
        _raw([2**70, "u"]),
        _raw([-1, "u"]),
        _raw([-(2**63) - 1, "u"]),
        _raw([1e308, "u"]),
        _raw([1, ""]),
        _raw([1, "u" * 129]),
        _raw([True, "u"]),
        _raw(["1", "u"]),
        _raw([1]),
        base64.urlsafe_b64encode(b"[" * 300 + b"]" * 300).decode(),
        "!!!",
    ],
)
def test_anything_else_is_invalid_input(cursor: str) -> None:
    with pytest.raises(errors.InvalidInput):
        decode_cursor(cursor)
