"""Pure validation of ids, handles and display names; cursors and event ids."""

from __future__ import annotations

import pytest

from shared.adapters.neo4j_graph import fkey
from shared.domain import errors, users
from shared.domain.users import decode_cursor, encode_cursor
from shared.usecases.users import event_id, follow_event


@pytest.mark.parametrize("handle", ["abc", "A_b_9", "x" * 30, "___", "User123"])
def test_valid_handles(handle: str) -> None:
    assert users.validate_handle(handle) == handle


@pytest.mark.parametrize(
    "handle", ["ab", "x" * 31, "with space", "dash-no", "émile", "a.b", "", "abc\n", 12, None]
)
def test_invalid_handles(handle: object) -> None:
    with pytest.raises(users.InvalidField) as exc:
        users.validate_handle(handle)
    assert exc.value.field == "handle"


def test_handle_key_is_case_insensitive() -> None:
    assert users.handle_key("Alice_1") == users.handle_key("aLICE_1") == "alice_1"


def test_display_name_is_trimmed_and_normalised() -> None:
    assert users.validate_display_name("  Zoë  ") == "Zoë"
    # "e" + combining diaeresis is one character once NFC-normalised.
    assert users.validate_display_name("Zoe\u0308") == "Zo\u00eb"
    assert users.validate_display_name("x" * 50) == "x" * 50
    assert users.validate_display_name("🙂" * 50) == "🙂" * 50


@pytest.mark.parametrize(
    "name", ["", "   ", "x" * 51, "a\nb", "tab\there", "bell\x07", "nul\x00", "a\u2028b", 5]
)
def test_invalid_display_names(name: object) -> None:
    with pytest.raises(users.InvalidField) as exc:
        users.validate_display_name(name)
    assert exc.value.field == "display_name"


@pytest.mark.parametrize("uid", ["u1", "Ab-9_x.y:z@w", "x" * 128])
def test_valid_user_ids(uid: str) -> None:
    assert users.is_valid_user_id(uid)


@pytest.mark.parametrize("uid", ["", "x" * 129, "a b", "a/b", "a|b", "é", None, 7])
def test_invalid_user_ids(uid: object) -> None:
    assert not users.is_valid_user_id(uid)
    with pytest.raises(users.InvalidField):
        users.validate_user_id(uid)


def test_cursor_round_trip_and_rejects_garbage() -> None:
    assert decode_cursor(encode_cursor(1_700_000_000_000, "u42")) == (1_700_000_000_000, "u42")
    for bad in ["!!!", "bm90IGpzb24", encode_cursor(1, "x").upper(), "WzEsMl0"]:
        with pytest.raises(errors.InvalidInput):
            decode_cursor(bad)


def test_fkey_orders_like_created_then_id() -> None:
    edges = [(5, "b"), (5, "a"), (40, "a"), (1_700_000_000_000, "u1"), (40, "ab"), (5, "u10")]
    assert sorted(edges) == sorted(edges, key=lambda e: fkey(*e))


def test_event_ids_are_stable_per_edge_change() -> None:
    assert event_id("fol", "a", "b", 1) == event_id("fol", "a", "b", 1)
    assert event_id("fol", "a", "b", 1) != event_id("fol", "a", "b", 2)
    assert event_id("fol", "a", "b", 1) != event_id("unf", "a", "b", 1)
    assert event_id("fol", "ab", "c", 1) != event_id("fol", "a", "bc", 1)
    e = follow_event("a", "b", 7)
    assert (e.follower_id, e.followee_id, e.occurred_ms) == ("a", "b", 7)
    assert len(e.event_id) <= 64


def test_user_ids_with_braces_are_refused_so_hash_tags_hold() -> None:
    # redis_keys tags every per-user key {uid}: a brace inside would move or empty the tag.
    for uid in ["a{b", "}x", "{alice}", "al}ice"]:
        assert not users.is_valid_user_id(uid), uid
    assert users.is_valid_user_id("Xy12abc_-.:@")
