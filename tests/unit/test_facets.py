"""shared/domain/facets.py: hashtags with their spans, normalised (pure, no services)."""

from __future__ import annotations

import pytest

from shared import events
from shared.domain import errors, facets


def test_hashtags_with_code_point_offsets() -> None:
    text = "Hello #World and #kwetter_2026!"
    got = facets.hashtag_facets(text)
    assert [(f.start, f.end, f.value) for f in got] == [(6, 12, "world"), (17, 30, "kwetter_2026")]
    for f in got:
        assert text[f.start] == "#"
        assert facets.normalize_tag(text[f.start : f.end]) == f.value


def test_unicode_letters_digits_and_marks() -> None:
    # Devanagari vowel signs are combining marks: part of the tag, not its end.
    got = facets.hashtags("#हिन्दी #日本語 #Ünïcödé #café")
    assert got == ["हिन्दी", "日本語", "ünïcödé", "café"]
    # Offsets count code points, so an emoji before a tag does not shift it by two.
    text = "😀 #tag"
    (f,) = facets.hashtag_facets(text)
    assert (f.start, f.end) == (2, 6)


def test_nfkc_and_case_folding_make_one_tag() -> None:
    assert facets.hashtags("#Kweet #KWEET #\uff4b\uff57\uff45\uff45\uff54 \uff03kweet") == ["kweet"]
    assert facets.hashtags("#Straße") == facets.hashtags("#STRASSE") == ["strasse"]
    assert facets.normalize_tag("\uff2b\uff37\uff25\uff25\uff34") == "kweet"


@pytest.mark.parametrize(
    "text",
    ["a#b", "&#39;", "#1", "#2026", "# spaced", "#", "##", "#a#b", "email me at x#y", "#_"],
)
def test_not_hashtags(text: str) -> None:
    assert facets.hashtags(text) == []


def test_first_use_first_distinct_and_capped() -> None:
    assert facets.hashtags("#b #a #B") == ["b", "a"]
    many = " ".join(f"#t{i}" for i in range(30))
    assert facets.hashtags(many) == [f"t{i}" for i in range(facets.MAX_HASHTAGS)]


def test_overlong_run_is_not_a_tag() -> None:
    assert facets.hashtags("#" + "a" * (facets.MAX_TAG_CHARS + 1)) == []
    assert facets.hashtags("#" + "a" * facets.MAX_TAG_CHARS) == ["a" * facets.MAX_TAG_CHARS]


@pytest.mark.parametrize("raw", ["", "#", "a b", "1234", "a*", "x" * 65, "a/b"])
def test_normalize_tag_refuses(raw: str) -> None:
    with pytest.raises(errors.InvalidInput):
        facets.normalize_tag(raw)


def test_facets_share_one_shape() -> None:
    (f,) = facets.facets("see #this")
    assert f.to_json() == {"type": "hashtag", "start": 4, "end": 9, "value": "this"}


def test_event_leaves_out_empty_hashtags_and_keeps_them_otherwise() -> None:
    def made(tags: list[str]) -> events.PostCreated:
        return events.PostCreated(
            event_id="post-created-1", occurred_ms=1, post_id="1", author_id="u", text="hi",
            created_ms=1, hashtags=tags,
        )  # fmt: skip

    data, _ = events.encode(made([]))
    assert b"hashtags" not in data
    data, _ = events.encode(made(["hi"]))
    decoded = events.decode(data)
    assert isinstance(decoded, events.PostCreated) and decoded.hashtags == ["hi"]
