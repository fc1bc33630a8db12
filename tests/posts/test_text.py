"""Text validation of new posts (pure): trimming, NFC code points, control characters."""

from __future__ import annotations

import pytest

from shared.domain import errors
from shared.domain.posts import (
    MAX_CHARS,
    PostDraft,
    normalize_text,
    parse_idempotency_key,
    parse_post_draft,
)
from shared.entrypoints.http.errors import status_of

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one glyph, 5 code points
E_COMBINING = "e\u0301"  # NFC makes it one code point, é


@pytest.mark.parametrize("raw", ["", " ", "   \n\t  ", "\u3000\u00a0", "\u200b\ufeff", "\r\n"])
def test_empty_or_whitespace_only_is_422(raw: str) -> None:
    with pytest.raises(errors.ValidationFailed) as exc:
        normalize_text(raw)
    assert status_of(exc.value) == 422
    assert "empty" in exc.value.message


@pytest.mark.parametrize("raw", [None, 5, ["hi"], {"t": 1}, True])
def test_missing_or_non_string_text_is_400(raw: object) -> None:
    with pytest.raises(errors.InvalidInput) as exc:
        normalize_text(raw)
    assert status_of(exc.value) == 400


def test_trims_and_keeps_inner_whitespace() -> None:
    assert normalize_text("  hello\n\tworld  \n") == "hello\n\tworld"


def test_crlf_becomes_lf() -> None:
    assert normalize_text("a\r\nb\rc") == "a\nb\nc"


def test_280_ascii_ok_281_rejected() -> None:
    assert normalize_text("x" * MAX_CHARS) == "x" * 280
    with pytest.raises(errors.ValidationFailed) as exc:
        normalize_text("x" * 281)
    assert exc.value.details == {"field": "text", "length": 281, "max": 280}


def test_emoji_count_as_code_points() -> None:
    # 280 astral code points: 280 characters though 560 UTF-16 units and 1120 UTF-8 bytes.
    assert len(normalize_text("\U0001f600" * 280)) == 280
    with pytest.raises(errors.ValidationFailed):
        normalize_text("\U0001f600" * 281)
    # A ZWJ family is 5 code points: 56 of them are exactly 280.
    assert normalize_text(FAMILY * 56) == FAMILY * 56
    with pytest.raises(errors.ValidationFailed):
        normalize_text(FAMILY * 56 + "x")


def test_combining_characters_are_counted_after_nfc() -> None:
    # 280 decomposed é are 560 code points before NFC, 280 after: accepted, stored composed.
    text = normalize_text(E_COMBINING * 280)
    assert len(text) == 280 and text == "\u00e9" * 280
    with pytest.raises(errors.ValidationFailed):
        normalize_text(E_COMBINING * 281)
    # A combining mark with no precomposed form stays two code points.
    with pytest.raises(errors.ValidationFailed):
        normalize_text("q\u0301" * 141)
    assert len(normalize_text("q\u0301" * 140)) == 280


def test_length_counted_after_trimming() -> None:
    assert len(normalize_text("   " + "y" * 280 + "\n\n")) == 280


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x0b", "\x0c"])
def test_control_characters_rejected(ch: str) -> None:
    with pytest.raises(errors.ValidationFailed) as exc:
        normalize_text(f"hi{ch}there")
    assert f"U+{ord(ch):04X}" in exc.value.message
    assert exc.value.details == {"field": "text", "index": 2}


def test_newline_and_tab_allowed() -> None:
    assert normalize_text("a\nb\tc") == "a\nb\tc"


def test_lone_surrogate_rejected() -> None:
    with pytest.raises(errors.ValidationFailed):
        normalize_text("bad \ud83d surrogate")


def test_body_must_only_have_text() -> None:
    assert parse_post_draft({"text": " hi "}) == PostDraft("hi")
    with pytest.raises(errors.InvalidInput) as exc:
        parse_post_draft({"text": "hi", "author_id": "mallory"})
    assert exc.value.details == {"unknown_fields": ["author_id"]}
    with pytest.raises(errors.InvalidInput):
        parse_post_draft({})


M1, M2 = "a" * 32, "b" * 32


def test_media_ids_and_alts_parsed() -> None:
    got = parse_post_draft(
        {"text": "pics", "media_ids": [M1, M2], "media_alts": [" a  cat ", None]}
    )
    assert got == PostDraft("pics", [M1, M2], {M1: "a cat"})
    assert parse_post_draft({"text": "x", "media_ids": []}) == PostDraft("x")
    assert parse_post_draft({"text": "x", "media_ids": None}) == PostDraft("x")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"media_ids": "a" * 32}, errors.InvalidInput),
        ({"media_ids": ["not-a-media-id"]}, errors.InvalidInput),
        ({"media_ids": [M1, M1]}, errors.InvalidInput),
        ({"media_ids": [f"{n:032x}" for n in range(5)]}, errors.ValidationFailed),
        ({"media_ids": [M1], "media_alts": ["a", "b"]}, errors.InvalidInput),
        ({"media_ids": [M1], "media_alts": "a"}, errors.InvalidInput),
        ({"media_ids": [M1], "media_alts": [7]}, errors.InvalidInput),
        ({"media_ids": [M1], "media_alts": ["x" * 1001]}, errors.ValidationFailed),
    ],
)
def test_bad_media_fields(body: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_post_draft({"text": "pics", **body})


def test_idempotency_key() -> None:
    assert parse_idempotency_key(None) is None
    assert parse_idempotency_key(" 6f1c-uuid ") == "6f1c-uuid"
    for bad in ["", "   ", "k" * 129, "ключ", "a\x00b"]:
        with pytest.raises(errors.InvalidInput):
            parse_idempotency_key(bad)
