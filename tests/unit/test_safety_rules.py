"""The pure safety rules (shared/domain/safety.py): flags, roles, report and reason parsing,
list cursors."""

from __future__ import annotations

import pytest

from shared.domain import errors, safety


def _valid_user(u: str) -> bool:
    return u.isalnum()


def _valid_post(p: str) -> bool:
    return p.isdigit()


def test_flags_switch_and_what_they_hide() -> None:
    f = safety.with_flag("", "m", True)
    assert f == "m" and safety.hidden_from_home(f) and not safety.hidden_everywhere(f)
    f = safety.with_flag(f, "k", True)
    assert f == "km" and safety.hidden_everywhere(f)
    assert safety.with_flag(f, "k", False) == "m"
    assert not safety.hidden_from_home("")


def test_roles_come_only_from_claims_set_to_true() -> None:
    assert safety.roles_of({"moderator": True}) == {"moderator"}
    assert safety.roles_of({"admin": True}) == {"admin", "moderator"}
    assert safety.roles_of({"moderator": "true", "admin": 1}) == frozenset()
    with pytest.raises(safety.ModeratorOnly):
        safety.require_moderator(frozenset())
    with pytest.raises(safety.AdminOnly):
        safety.require_admin(frozenset({"moderator"}))


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"reason": "spam"}, errors.InvalidInput),
        ({"post_id": "1", "user_id": "a", "reason": "spam"}, errors.InvalidInput),
        ({"user_id": "a", "reason": "rude"}, errors.InvalidInput),
        ({"user_id": "a", "reason": "spam", "extra": 1}, errors.InvalidInput),
        ({"user_id": "a!", "reason": "spam"}, errors.InvalidInput),
        ({"post_id": 1, "reason": "spam"}, errors.InvalidInput),
        ({"user_id": "a", "reason": "spam", "text": ["x"]}, errors.InvalidInput),
        ({"user_id": "a", "reason": "spam", "text": "x" * 1001}, errors.ValidationFailed),
        ({"user_id": "a", "reason": "spam", "text": "bell\x07"}, errors.ValidationFailed),
    ],
)
def test_bad_reports_are_refused(body: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        safety.parse_report(body, _valid_user, _valid_post)


def test_a_good_report_and_a_reason() -> None:
    d = safety.parse_report({"post_id": "12", "reason": "hate", "text": " why "}, _valid_user,
                            _valid_post)  # fmt: skip
    assert (d.subject, d.target, d.reason, d.text) == ("post", "12", "hate", "why")
    assert safety.parse_reason({"reason": " abusive "}) == "abusive"
    with pytest.raises(errors.ValidationFailed):
        safety.parse_reason({"reason": "  "})
    with pytest.raises(errors.InvalidInput):
        safety.parse_reason({})


def test_cursors_round_trip_and_bad_ones_are_400() -> None:
    c = safety.encode_cursor(1_700_000_000_000, "u1")
    assert safety.decode_cursor(c) == (1_700_000_000_000, "u1")
    for bad in ("!!!", "e30", safety.encode_cursor(1, "x")[:-2] + "zz", "WzEsMl0"):
        with pytest.raises(errors.InvalidInput):
            safety.decode_cursor(bad)


@pytest.mark.parametrize("ms", [-1, -(2**63) - 1, 2**64 - 1, 2**70, safety.MAX_CURSOR_MS + 1])
def test_a_list_cursor_outside_any_time_is_bad_input(ms: int) -> None:
    with pytest.raises(errors.InvalidInput):
        safety.decode_cursor(safety.encode_cursor(ms, "u"))


def test_a_list_cursor_round_trips() -> None:
    assert safety.decode_cursor(safety.encode_cursor(1_770_000_000_000, "u")) == (
        1_770_000_000_000,
        "u",
    )
