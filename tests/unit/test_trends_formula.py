"""shared/domain/trends.py: the score against a tag's own baseline (pure)."""

from __future__ import annotations

from shared.domain import trends


def test_a_new_tag_needs_five_accounts() -> None:
    assert trends.score("t", 4, [0] * 7) is None
    t = trends.score("t", 5, [0] * 7)
    assert t is not None and t.expected == trends.MIN_EXPECTED and t.score == 16.0


def test_a_steady_tag_does_not_trend_however_big() -> None:
    per_day = [800] * 7  # 100 accounts per 3-hour window
    assert trends.expected(per_day) == 100.0
    assert trends.score("news", 110, per_day) is None
    assert trends.score("news", 199, per_day) is None
    assert trends.score("news", 200, per_day) is not None


def test_rank_is_by_surprise_then_accounts() -> None:
    # Both tripled; the bigger one is more evidence of a real change, so it ranks first.
    small = trends.score("small", 30, [80] * 7)  # expected 10
    big = trends.score("big", 300, [800] * 7)  # expected 100
    sudden = trends.score("sudden", 40, [0] * 7)  # expected 1: far more surprising
    assert small is not None and big is not None and sudden is not None
    assert [t.tag for t in trends.rank([small, big, sudden])] == ["sudden", "big", "small"]
    assert len(trends.rank([small, big, sudden], limit=2)) == 2


def test_window_and_baseline_buckets() -> None:
    now = 10 * trends.DAY_MS + 5 * trends.HOUR_MS + 1
    assert trends.window_hours(now) == [245, 244, 243]
    assert trends.baseline_days(now) == [9, 8, 7, 6, 5, 4, 3]
