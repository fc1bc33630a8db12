"""Own timelines ``ut:{uid}`` made of pieces as home timelines are (docs/timeline.md "Pieces"):
on the server's default listpack limit, with every reader and writer of them exact across the
pieces, on one Redis and on the 3-master cluster."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from redis.crc import key_slot

from shared import ids
from shared.adapters import redis_keys as keys
from shared.adapters.redis_erasure import RedisErasure
from shared.domain.model import Post
from shared.domain.timeline import TimelinePost
from shared.usecases.timeline import Page
from tests.timeline.conftest import Engine, created, deleted, make_engine, make_id
from tests.timeline.test_reposts import repost, reposted, unrepost, unreposted

pytestmark = pytest.mark.integration

T0 = 1_770_000_000_000
MIN = 60_000


def scroll(read: Callable[[int | None], Page]) -> list[int]:
    """Every id a reader serves, page after page (the store past Redis' cap)."""
    seen: list[int] = []
    before = None
    while True:
        page = read(before)
        seen += [p.id for p in page.posts]
        if page.next_cursor is None:
            return seen
        before = int(page.next_cursor)


def three_times(e: Engine, handle: Callable[[], object]) -> None:
    """Delivered three times: the second and third change no byte of Redis."""
    handle()
    e.deliver()
    first = e.dump()
    for _ in range(2):
        handle()
        e.deliver()
        assert e.dump() == first


def test_own_timeline_is_pieces_that_each_stay_a_listpack_on_default_settings(
    redis_url: str,
) -> None:
    e = make_engine(redis_url)
    assert e.r.config_get("zset-max-listpack-entries") == {"zset-max-listpack-entries": "128"}
    e.user("a")
    cap = e.settings.timeline_cap
    assert cap == 800
    pids: list[int] = []
    peak, at_cap = 0, []
    for i in range(1000):  # one a minute: never a burst
        pids.append(e.post("a", T0 + i * MIN))
        n = e.own_count("a")
        assert min(len(pids), cap) <= n <= cap + 88  # capped when its head spills (112 - 24)
        peak = max(peak, n)
        if n == cap:
            at_cap.append(e.own_bytes_per_entry("a"))
        if i % 97 == 0 or i == 999:
            assert e.own_ids("a") == sorted(pids, reverse=True)[:n]
            assert e.own_encodings("a") == {"listpack"}
    assert cap < peak
    ks = e.own_keys("a")
    assert len(ks) > 5 and ks[0] == keys.own("a")  # pieces, not one key
    assert {key_slot(k.encode()) for k in ks} == {key_slot(keys.own("a").encode())}
    assert at_cap and max(at_cap) <= 24.0, at_cap
    # the profile page scrolls exactly across the pieces, then on into the store
    assert scroll(lambda b: e.reader.user_posts("a", 70, b)) == sorted(pids, reverse=True)


def test_pace_counts_the_burst_window_across_the_pieces(redis_url: str) -> None:
    e = make_engine(redis_url)
    win = e.settings.burst_window_seconds * 1000
    assert win == 60_000
    ms = [T0 + i * 1000 for i in range(200)]  # one a second: the window holds 60
    pids = [make_id(t) for t in ms]
    got = [e.tl.record_posts([TimelinePost(pids[i], "a", "hi", ms[i])])[0] for i in range(200)]
    assert len(e.own_keys("a")) > 1  # the head keeps 24 after a spill: the window reaches past
    for i, rec in enumerate(got):
        assert (rec.posts_in_window, rec.window_span_ms) == (min(i + 1, 60), min(i, 59) * 1000)
    before = e.dump()
    [again] = e.tl.record_posts([TimelinePost(pids[30], "a", "hi", ms[30])])  # in a piece
    assert (again.posts_in_window, again.window_span_ms) == (31, 30_000)
    assert e.dump() == before


def test_readers_and_writers_of_own_timelines_are_exact_across_pieces(topology_url: str) -> None:
    e = make_engine(topology_url, pull_follower_threshold=3)
    e.user("star", "f1", "f2", "f3", "a", "r", "late", "g")
    for f in ("f1", "f2", "f3"):
        e.follow(f, "star")  # three followers: star's posts are pulled
    e.follow("r", "a")  # a has one: pushed
    stars = [e.post("star", T0 + i * MIN) for i in range(300)]
    mine = [e.post("a", T0 + i * MIN + 30_000) for i in range(300)]
    assert e.r.get(keys.post_mode(stars[0])) == b"pull"
    assert e.r.get(keys.post_mode(mine[0])) == b"push"
    for u in ("star", "a"):
        assert len(e.own_keys(u)) > 2 and e.own_encodings(u) == {"listpack"}
    assert e.own_ids("star") == stars[::-1] and e.own_ids("a") == mine[::-1]

    # pull-mode home reads merge star's own timeline, page after page, across its pieces
    assert scroll(lambda b: e.reader.home("f1", 50, b)) == stars[::-1]

    # a redelivered post that now lives in a piece changes nothing (pull: no batch either)
    before = e.dump()
    e.planner.handle(created(stars[50], "star", "hi", ids.timestamp_ms(stars[50])))
    assert e.pub.sent == [] and e.dump() == before
    three_times(e, lambda: e.planner.handle(created(mine[40], "a", "hi", T0 + 40 * MIN + 30_000)))

    # a deletion in a piece: out of the own timeline, the pulled page and the profile
    gone = stars[100]
    e.store.delete(gone)
    three_times(e, lambda: e.planner.handle(deleted(gone, "star")))
    stars.remove(gone)
    assert e.own_ids("star") == stars[::-1]
    assert scroll(lambda b: e.reader.home("f1", 50, b)) == stars[::-1]
    assert scroll(lambda b: e.reader.user_posts("star", 50, b)) == stars[::-1]

    # a repost older than a's head: the slow way, into a piece of a's own timeline
    ms = T0 + 150 * MIN + 45_000
    three_times(e, lambda: e.planner.handle(reposted(stars[10], "star", "a", ms)))
    [entry] = [x for x in e.own_ids("a") if x not in set(mine)]
    assert ids.timestamp_ms(entry) == ms and keys.own("a") not in _holding(e, "a", entry)
    entries = sorted([*mine, entry], reverse=True)
    assert e.own_ids("a") == entries and e.own_encodings("a") == {"listpack"}
    profile = e.reader.user_posts("a", 200).posts
    assert [p.id for p in profile] == [stars[10] if x == entry else x for x in entries[:200]]

    # a follow's backfill reads a's newest entries across the pieces (the repost among them)
    e.follow("late", "a")
    assert e.tl.home_ids("late") == entries[: e.settings.backfill_limit]
    # and an unfollow, a mute and a regeneration read all of it
    e.unfollow("late", "a")
    assert e.tl.home_ids("late") == []
    assert e.tl.home_ids("r") and e.tl.clear_author_from_home("r", "a") > 0
    assert e.tl.home_ids("r") == []
    assert e.tl.regenerate("g", ["star", "a"]) == len(stars) + len(entries)
    assert e.tl.home_ids("g") == sorted([*stars, *entries], reverse=True)

    # the un-repost takes the entry out of its piece
    three_times(e, lambda: e.planner.handle(unreposted(stars[10], "star", "a", ms)))
    assert e.own_ids("a") == mine[::-1]


def _holding(e: Engine, uid: str, member: int) -> list[str]:
    return [k for k in e.own_keys(uid) if e.r.zscore(k, str(member)) is not None]


def test_a_repost_goes_into_the_reposters_head_and_out_again(engine: Engine) -> None:
    e = engine
    e.user("a", "b")
    pid = e.post("a", T0)
    olds = [e.post("b", T0 + i * MIN) for i in range(1, 200)]
    repost(e, pid, "b", T0 + 300 * MIN)
    [entry] = [x for x in e.own_ids("b") if x not in set(olds)]
    assert _holding(e, "b", entry) == [keys.own("b")]
    unrepost(e, pid, "b", T0 + 300 * MIN)
    assert e.own_ids("b") == olds[::-1] and e.own_encodings("b") == {"listpack"}


def test_restore_lays_the_own_timeline_out_in_pieces(topology_url: str) -> None:
    e = make_engine(topology_url)
    cap = e.settings.timeline_cap
    pids = [make_id(T0 + i * MIN) for i in range(1000)]
    posts = [Post(p, "a", "hi", ids.timestamp_ms(p)) for p in pids]
    e.tl.restore_author("a", posts, puller=False)  # more than the cap: the newest cap stay
    assert e.own_ids("a") == sorted(pids, reverse=True)[:cap]
    assert len(e.own_keys("a")) > 5 and e.own_encodings("a") == {"listpack"}
    assert e.own_bytes_per_entry("a") <= 24.0
    e.tl.restore_author("a", posts[:10], puller=False)  # replaces, pieces and all
    assert e.own_keys("a") == [keys.own("a")] and e.own_ids("a") == pids[9::-1]
    e.tl.restore_author("a", [], puller=False)
    assert e.own_keys("a") == []


def test_erasure_leaves_no_piece_of_the_own_timeline(topology_url: str) -> None:
    e = make_engine(topology_url)
    e.user("a", "r")
    e.follow("r", "a")
    pids = [e.post("a", T0 + i * MIN) for i in range(300)]
    assert len(e.own_keys("a")) > 2
    RedisErasure(e.r, e.tl).erase("a", pids, ["r"])
    assert e.own_keys("a") == [] and e.tl.home_ids("r") == []
    assert not [k for k in e.r.scan_iter(match=keys.own("a") + "*")]
