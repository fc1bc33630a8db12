"""The pure repost rules (shared.domain.reposts): entry ids, de-duplication, "reposted by"."""

from __future__ import annotations

import pytest

from shared import ids
from shared.domain.reposts import (
    DEDUPE_WINDOW,
    Entry,
    RepostedBy,
    dedupe,
    entry_id,
    is_repost,
    reposted_by,
)

T0 = 1_770_000_000_000


def test_entry_ids_sort_by_the_repost_time_and_never_look_like_a_post_id() -> None:
    a = entry_id(T0, 5, "alice")
    assert a == entry_id(T0, 5, "alice")  # deterministic: redelivery finds its claim
    assert is_repost(a) and ids.timestamp_ms(a) == T0
    assert entry_id(T0, 5, "bob") != a and entry_id(T0, 6, "alice") != a
    cands = {entry_id(T0, 5, "alice", k) for k in range(64)}
    assert len(cands) == 64 and all(is_repost(c) for c in cands)
    assert all(ids.timestamp_ms(c) in (T0, T0 + 1) for c in cands)
    assert not any(is_repost(ids.new_id()) for _ in range(2000))
    assert entry_id(T0 + 1, 5, "alice") > a  # newer repost, larger id


def test_the_reserved_worker_is_never_minted() -> None:
    with pytest.raises(ValueError):
        ids.IdGenerator(worker_id=ids.REPOST_WORKER)
    assert not is_repost(ids.IdGenerator(worker_id=ids.REPOST_WORKER - 1).next_id())


def _r(entry: int, post: int) -> Entry:
    return Entry(entry, post)


def test_dedupe_keeps_the_original_within_the_window_and_each_post_once() -> None:
    p = Entry(10, 10)
    fill = [Entry(100 + i, 100 + i) for i in range(DEDUPE_WINDOW)]
    # the repost is right above the original: it yields
    assert dedupe([_r(900, 10), p]) == [p]
    # 40 entries between them: the original is the 41st, the repost shows, the original not again
    assert dedupe([_r(900, 10), *fill, p]) == [_r(900, 10), *fill]
    # a second repost within 40 of the first yields to it
    assert dedupe([_r(901, 10), _r(900, 10)]) == [_r(900, 10)]
    # posts already on the page (earlier rounds) are not shown again
    assert dedupe([p, Entry(11, 11)], shown={10}) == [Entry(11, 11)]


def test_reposted_by_counts_whom_the_reader_follows_and_shows_three() -> None:
    assert reposted_by(["x", "y"], {"z"}) is None
    got = reposted_by(["a", "x", "b", "c", "d"], {"a", "b", "c", "d"})
    assert got == RepostedBy(("a", "b", "c"), 4)
