"""Pure logic: the push/pull policy, batch slicing and the bounded merge."""

from __future__ import annotations

import pytest

from shared.domain.fanout import AuthorActivity, Mode, Policy, batches, trims
from shared.domain.timeline import SourceRun, fallback_for, merge_newest, next_cursor

POLICY = Policy(pull_follower_threshold=10_000, burst_window_ms=60_000, burst_post_threshold=20)


def test_small_author_posting_normally_is_pushed() -> None:
    assert POLICY.decide(AuthorActivity(500, 1, 0)) is Mode.PUSH
    assert POLICY.decide(AuthorActivity(500, 2, 100)) is Mode.PUSH  # a quick reply is no burst
    assert POLICY.decide(AuthorActivity(500, 20, 59_000)) is Mode.PUSH


def test_celebrity_is_pulled_whatever_the_pace() -> None:
    assert POLICY.decide(AuthorActivity(10_000, 1, 0)) is Mode.PULL
    assert POLICY.decide(AuthorActivity(9_999, 1, 0)) is Mode.PUSH


def test_more_posts_in_the_window_than_a_reader_refreshes_is_a_burst() -> None:
    assert POLICY.decide(AuthorActivity(5, 21, 59_000)) is Mode.PULL


def test_on_pace_for_a_burst_is_a_burst() -> None:
    # The seed's pace: a post every 0.3 s. Third post: two intervals at 3.3 posts/s.
    assert POLICY.decide(AuthorActivity(5, 3, 600)) is Mode.PULL
    # Three posts in a minute is a normal pace.
    assert POLICY.decide(AuthorActivity(5, 3, 40_000)) is Mode.PUSH
    # Same-millisecond posts do not divide by zero.
    assert POLICY.decide(AuthorActivity(5, 3, 0)) is Mode.PULL


def test_batches_reslice_pages_exactly() -> None:
    pages = [["a", "b", "c"], ["d"], [], ["e", "f", "g", "h", "i"]]
    assert list(batches(pages, 4)) == [["a", "b", "c", "d"], ["e", "f", "g", "h"], ["i"]]
    assert list(batches([], 4)) == []
    with pytest.raises(ValueError):
        list(batches(pages, 0))


def test_merge_is_newest_first_distinct_and_bounded() -> None:
    assert merge_newest([[9, 5, 1], [8, 5, 2], [7]], 4) == [9, 8, 7, 5]
    assert merge_newest([[], [3]], 10) == [3]


def test_no_fallback_while_truncated_sources_still_give_full_runs() -> None:
    runs = [SourceRun(2, 8, 2, truncated=True), SourceRun(1, 7, 2, truncated=False)]
    assert fallback_for(runs) is None


def test_fallback_names_the_floor_and_authors_of_a_truncated_dry_source() -> None:
    home = SourceRun(2, 4, 3, truncated=True, authors=None)
    own = SourceRun(1, 6, 3, truncated=True, authors=frozenset({"me"}))
    fb = fallback_for([home, own])
    assert fb is not None and fb.floor == 6 and fb.all_followees and fb.authors == {"me"}
    assert fb.needed([9, 8, 7, 5], 4) and not fb.needed([9, 8, 7, 5], 3)
    empty = fallback_for([SourceRun(0, None, 3, truncated=True, authors=frozenset({"x"}))])
    assert empty is not None and empty.floor == 0 and not empty.all_followees


def test_next_cursor() -> None:
    assert next_cursor([5, 4], 2, exhausted=False) == "4"
    assert next_cursor([5], 2, exhausted=True) is None
    assert next_cursor([], 2, exhausted=False) is None


def test_one_post_in_every_trims_spread_over_consecutive_ids() -> None:
    # Snowflake-like ids: a post a minute, sequence 0, as one author writing steadily.
    pids = [((1_770_000_000_000 + i * 60_000) << 22) | (i % 3) for i in range(80_000)]
    hits = [trims(p, 8) for p in pids]
    assert 0.115 < sum(hits) / len(hits) < 0.135
    longest = run = 0
    for h in hits:
        run = 0 if h else run + 1
        longest = max(longest, run)
    assert longest < 224  # the slack the listpack limit leaves above the default cap
    assert [trims(p, 8) for p in pids[:100]] == hits[:100]  # the same on every redelivery
    assert all(trims(p, 1) for p in pids[:100]) and all(trims(p, 0) for p in pids[:10])
