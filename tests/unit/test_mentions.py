"""The @mention parser (shared.domain.facets.mention_facets) and the grouping rules of
shared.domain.notifications: pure functions, no service."""

from __future__ import annotations

import pytest

from shared.domain import errors, facets
from shared.domain import notifications as domain
from shared.domain.model import Mention


def spans(text: str) -> list[tuple[int, int, str]]:
    return [(f.start, f.end, f.value) for f in facets.mention_facets(text)]


def test_mentions_with_unicode_aware_boundaries() -> None:
    assert spans("hi @Alice and @bob_99!") == [(3, 9, "alice"), (14, 21, "bob_99")]
    assert spans("@alice, (@bob) @carol's @dave.") == [
        (0, 6, "alice"), (9, 13, "bob"), (15, 21, "carol"), (24, 29, "dave"),
    ]  # fmt: skip
    assert spans("\uff20alice") == [(0, 6, "alice")]  # the full-width at sign
    assert spans("mail me@alice.com") == []  # an address, not a mention
    assert spans("@josé") == []  # the handle would run on into a letter it cannot have
    assert spans("@alice\u0301") == []  # nor into a combining mark
    assert spans("éé@alice") == []  # preceded by a letter
    assert spans("@alice@other.example") == []  # someone on another server
    assert spans("@@alice") == []
    assert spans("@ab @" + "a" * 31) == []  # too short, too long (not cut to 30)
    assert spans("@" + "a" * 30) == [(0, 31, "a" * 30)]
    assert spans("😀@alice") == [(1, 7, "alice")]  # code points, as Python and the API count
    text = "🧑‍🚀 @alice"
    (f,) = facets.mention_facets(text)
    assert text[f.start : f.end] == "@alice"


def test_at_most_ten_mentions_a_post() -> None:
    ten = " ".join(f"@user{i:02d}" for i in range(10))
    assert len(facets.mention_facets(ten)) == 10
    with pytest.raises(errors.TooManyMentions) as exc:
        facets.mention_facets(ten + " @user10")
    assert exc.value.code == "too_many_mentions"
    assert isinstance(exc.value, errors.ValidationFailed)  # 422
    assert exc.value.details["max"] == 10


def test_unknown_handles_stay_plain_text() -> None:
    found = facets.mention_facets("@Alice @nobody @ALICE")
    assert facets.resolve_mentions(found, {"alice": "uid-a"}) == (
        Mention(0, 6, "uid-a"), Mention(15, 21, "uid-a"),
    )  # fmt: skip
    kinds = [f.kind for f in facets.facets("#tag @alice")]
    assert kinds == ["hashtag", "mention"]


def test_groups_and_who_is_told() -> None:
    day = domain.DAY_MS
    like = domain.Activity("me", "a", "like", 5 * day + 10, "7")
    assert like.group_id == "like:7:5" and like.grouped
    assert domain.Activity("me", "a", "follow", 5 * day).group_id == "follow:5"
    assert domain.Activity("me", "a", "mention", 0, "9").group_id == "mention:9"
    assert not domain.Activity("me", "a", "reply", 0, "9", "1").grouped
    assert not domain.worth_telling(domain.Activity("me", "me", "like", 0, "7"))
    assert not domain.worth_telling(domain.Activity("me", "a", "like", 0, None))
    kept = domain.keep_unsilenced([like, domain.Activity("me", "b", "like", 0, "7")], {"b"})
    assert kept == [like]
    assert domain.shown_unread(150) == 99
