"""Reposts in the timeline engine, on the real Redis (one and the 3-master cluster): fan-out to
the reposter's followers by the push/pull policy, Mastodon's de-duplication, "reposted by",
the delete cascade, un-repost and 3x redelivery (issue 20, docs/timeline.md "Reposts")."""

from __future__ import annotations

from typing import Any

import pytest

from shared import events, ids
from shared.adapters import redis_keys as keys
from shared.domain.conversations import Kind, Switch
from shared.domain.reposts import DEDUPE_WINDOW, is_repost
from shared.usecases.fanout import FanoutPlanner
from tests.timeline.conftest import Engine, created, make_engine

pytestmark = pytest.mark.integration

T0 = 1_770_000_000_000
MIN = 60_000


def reposted(pid: int, author: str, reposter: str, ms: int) -> events.PostReposted:
    return events.PostReposted(
        event_id=f"rp-{pid}-{reposter}-{ms}", occurred_ms=ms, post_id=str(pid),
        author_id=author, reposter_id=reposter, created_ms=ids.timestamp_ms(pid),
        reposted_ms=ms,
    )  # fmt: skip


def unreposted(pid: int, author: str, reposter: str, ms: int) -> events.RepostRemoved:
    return events.RepostRemoved(
        event_id=f"ur-{pid}-{reposter}-{ms}", occurred_ms=ms, post_id=str(pid),
        author_id=author, reposter_id=reposter, created_ms=ids.timestamp_ms(pid),
        reposted_ms=ms,
    )  # fmt: skip


def repost(e: Engine, pid: int, reposter: str, ms: int) -> None:
    e.planner.handle(reposted(pid, e.store.posts[pid].author_id, reposter, ms))
    e.deliver()


def unrepost(e: Engine, pid: int, reposter: str, ms: int) -> None:
    e.planner.handle(unreposted(pid, e.store.posts[pid].author_id, reposter, ms))
    e.deliver()


def home(e: Engine, uid: str, limit: int = 20) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = e.reader.home(uid, limit).to_json()["items"]
    return items


def by(item: dict[str, Any]) -> tuple[list[str], int] | None:
    rb = item.get("reposted_by")
    return None if rb is None else ([u["id"] for u in rb["users"]], rb["count"])


def shown(e: Engine, uid: str, limit: int = 20) -> list[tuple[int, tuple[list[str], int] | None]]:
    return [(int(i["id"]), by(i)) for i in home(e, uid, limit)]


def test_push_repost_reaches_the_reposters_followers_with_the_originals_fields(
    engine: Engine,
) -> None:
    e = engine
    e.user("a", "b", "r", "stranger")
    e.follow("r", "b")  # r follows the reposter, not the author
    pid = e.post("a", T0, "original text")
    repost(e, pid, "b", T0 + MIN)
    [entry] = e.tl.home_ids("r")
    assert is_repost(entry) and entry != pid
    assert ids.timestamp_ms(entry) == T0 + MIN  # sorts by the repost's time
    assert e.r.get(keys.post_mode(entry)) == b"push"
    [item] = home(e, "r")
    assert item["id"] == str(pid) and item["author_id"] == "a" and item["text"] == "original text"
    assert item["author"]["handle"] == "h_a"
    assert item["reposted_by"] == {
        "users": [{"id": "b", "handle": "h_b", "display_name": "User b"}],
        "count": 1,
    }
    assert shown(e, "b") == [(pid, (["b"], 1))]  # the reposter sees their own repost
    assert shown(e, "stranger") == [] and shown(e, "a") == [(pid, None)]
    # a post of the reposter newer than the repost comes first; paging goes on past the repost
    later = e.post("b", T0 + 2 * MIN)
    assert [p for p, _ in shown(e, "r")] == [later, pid]
    page = e.reader.home("r", 1)
    assert page.next_cursor == str(later)
    nxt = e.reader.home("r", 1, later)
    assert [p.id for p in nxt.posts] == [pid] and nxt.next_cursor == str(entry)
    assert e.reader.home("r", 1, entry).posts == []
    # the reposter's profile lists the repost among their posts, as Twitter's does
    profile = e.reader.user_posts("b", 20, viewer="r")
    assert [p.id for p in profile.posts] == [later, pid]
    assert profile.reposted_by[pid].users == ("b",)
    assert [p.id for p in e.reader.user_posts("a", 20).posts] == [pid]


def test_a_repost_is_not_inserted_when_the_original_is_among_the_newest_40(
    engine: Engine,
) -> None:
    e = engine
    e.user("a", "b", "c", "r")
    for f in ("a", "b", "c"):
        e.follow("r", f)
    pid = e.post("a", T0)
    repost(e, pid, "b", T0 + MIN)
    assert e.tl.home_ids("r") == [pid]  # the original is the newest entry: not inserted
    assert shown(e, "r") == [(pid, None)]
    fillers = [e.post("a", T0 + (2 + i) * MIN) for i in range(DEDUPE_WINDOW)]
    repost(e, pid, "c", T0 + 100 * MIN)  # the original is now 41st: inserted
    entries = e.tl.home_ids("r")
    assert len(entries) == DEDUPE_WINDOW + 2 and is_repost(entries[0])
    items = shown(e, "r", limit=100)
    # once on the page, at the repost's place; both followed reposters counted, newest first
    assert items[0] == (pid, (["c", "b"], 2))
    assert [p for p, _ in items] == [pid, *reversed(fillers)]


def test_another_repost_within_40_is_held_back_and_takes_over_on_unrepost(
    engine: Engine,
) -> None:
    e = engine
    e.user("a", "b", "c", "r")
    e.follow("r", "b")
    e.follow("r", "c")
    pid = e.post("a", T0)
    repost(e, pid, "b", T0 + MIN)
    repost(e, pid, "c", T0 + 2 * MIN)
    [entry_b] = e.tl.home_ids("r")
    assert shown(e, "r") == [(pid, (["c", "b"], 2))]
    unrepost(e, pid, "b", T0 + MIN)  # that repost only: c's takes its place
    [entry_c] = e.tl.home_ids("r")
    assert entry_c != entry_b and is_repost(entry_c)
    assert shown(e, "r") == [(pid, (["c"], 1))]
    assert shown(e, "b") == [] and shown(e, "c") == [(pid, (["c"], 1))]
    unrepost(e, pid, "c", T0 + 2 * MIN)
    assert e.tl.home_ids("r") == [] and shown(e, "r") == []


def test_a_celebritys_repost_is_one_write_and_merged_at_read(redis_url: str) -> None:
    e = make_engine(redis_url, pull_follower_threshold=3)
    e.user("a", "star", "f1", "f2", "f3", "f4")
    for f in ("f1", "f2", "f3", "f4"):
        e.follow(f, "star")
    e.follow("f1", "a")
    pid = e.post("a", T0)  # pushed to f1 (a has one follower)
    before = e.dump()
    repost(e, pid, "star", T0 + MIN)
    assert e.pub.sent == []
    entry = int(e.r.zrevrange(keys.own("star"), 0, 0)[0])
    assert is_repost(entry) and e.r.get(keys.post_mode(entry)) == b"pull"
    changed = {k for k, v in e.dump().items() if before.get(k) != v}
    # O(1) writes whatever the follower count: none of them is touched
    assert not any(k.startswith(b"tl:") for k in changed), changed
    assert all(shown(e, f) == [(pid, (["star"], 1))] for f in ("f2", "f3", "f4"))
    # f1 has the original among its newest 40: the pulled repost yields to it at read
    assert shown(e, "f1") == [(pid, None)]


def test_deleting_the_original_removes_it_and_every_repost_everywhere(redis_url: str) -> None:
    e = make_engine(redis_url, pull_follower_threshold=3)
    e.user("a", "b", "star", "r1", "r2", "r3", "r4")
    e.follow("r1", "a")
    e.follow("r2", "b")
    for f in ("r1", "r2", "r3", "r4"):
        e.follow(f, "star")
    pid = e.post("a", T0)
    other = e.post("a", T0 + 1)
    repost(e, pid, "b", T0 + MIN)  # pushed to r2
    repost(e, pid, "star", T0 + 2 * MIN)  # pulled
    repost(e, other, "b", T0 + 3 * MIN)
    assert [p for p, _ in shown(e, "r2")] == [other, pid]
    assert [p for p, _ in shown(e, "r3")] == [pid]
    e.delete("a", pid)
    for u in ("r1", "r2", "r3", "r4", "a", "b", "star"):
        assert pid not in [p for p, _ in shown(e, u)], u
    assert [p for p, _ in shown(e, "r2")] == [other]  # another repost of b stays
    assert len(e.tl.home_ids("r2")) == 1 and e.r.zcard(keys.own("star")) == 0
    # a repost that arrives after the deletion never fans out
    repost(e, pid, "b", T0 + 4 * MIN)
    assert e.pub.sent == [] and [p for p, _ in shown(e, "r2")] == [other]


def test_unrepost_removes_that_repost_only_and_late_events_change_nothing(
    engine: Engine,
) -> None:
    e = engine
    e.user("a", "b", "c", "r1", "r2", "fa")
    e.follow("r1", "b")
    e.follow("r2", "c")
    e.follow("fa", "a")
    pid = e.post("a", T0)
    repost(e, pid, "b", T0 + MIN)
    repost(e, pid, "c", T0 + MIN)
    unrepost(e, pid, "b", T0 + MIN)
    assert shown(e, "r1") == [] and shown(e, "r2") == [(pid, (["c"], 1))]
    assert shown(e, "fa") == [(pid, None)]  # the original stays
    # the PostReposted redelivered after its RepostRemoved is dropped
    repost(e, pid, "b", T0 + MIN)
    assert shown(e, "r1") == []
    # an un-repost delivered before its repost: the repost is dropped when it comes
    e.planner.handle(unreposted(pid, "a", "c", T0 + 5 * MIN))
    repost(e, pid, "c", T0 + 4 * MIN)
    assert shown(e, "r2") == []
    # reposting again later is a new repost
    repost(e, pid, "b", T0 + 10 * MIN)
    assert shown(e, "r1") == [(pid, (["b"], 1))]


def _three_times(e: Engine, handle: Any, event: events.Event) -> None:
    handle(event)
    e.deliver()
    first = e.dump()
    for _ in range(2):
        handle(event)
        e.deliver()
        assert e.dump() == first


def test_every_repost_consumer_is_idempotent_under_3x_redelivery(engine: Engine) -> None:
    e = engine
    e.user("a", "b", "c", "r")
    e.follow("r", "b")
    e.follow("r", "c")
    pid = e.post("a", T0)
    _three_times(e, e.planner.handle, reposted(pid, "a", "b", T0 + MIN))
    _three_times(e, e.planner.handle, reposted(pid, "a", "c", T0 + 2 * MIN))  # held back
    # the writer alone: the add and remove batches of a repost, each delivered 3x
    e.planner.handle(reposted(pid, "a", "b", T0 + MIN))
    [(_, add)] = e.pub.sent
    e.pub.sent.clear()
    assert isinstance(add, events.FanoutBatch) and add.repost_of == str(pid)
    _three_times(e, e.writer.handle, add)
    _three_times(e, e.planner.handle, unreposted(pid, "a", "b", T0 + MIN))
    assert shown(e, "r") == [(pid, (["c"], 1))]
    e.store.delete(pid)
    _three_times(e, e.planner.handle, events.PostDeleted(
        event_id=f"d{pid}", occurred_ms=0, post_id=str(pid), author_id="a", created_ms=T0,
    ))  # fmt: skip
    assert shown(e, "r") == [] and e.tl.home_ids("r") == []


def test_repost_batches_stay_compatible_and_forged_reposts_are_dropped(engine: Engine) -> None:
    e = engine
    e.user("a", "b", "r", "fa")
    e.follow("r", "b")
    e.follow("fa", "a")
    pid = e.post("a", T0)
    # a post's batch is byte-identical to before: no repost_of in its JSON
    e.planner.handle(created(pid, "a", "hi", T0))
    [(_, plain)] = e.pub.sent
    e.pub.sent.clear()
    assert b"repost_of" not in events.encode(plain)[0]
    # the post store is the authority: an unknown original, or the wrong author, is dropped
    e.planner.handle(reposted(pid + 1, "a", "b", T0 + MIN))
    e.planner.handle(reposted(pid, "mallory", "b", T0 + MIN))
    assert e.pub.sent == [] and e.tl.home_ids("r") == []
    e.planner.handle(reposted(pid, "a", "b", T0 + MIN))
    [(_, batch)] = e.pub.sent
    assert b'"repost_of":"%d"' % pid in events.encode(batch)[0]
    assert events.decode(events.encode(batch)[0]) == batch


def test_a_repost_entry_costs_as_many_bytes_as_a_post_entry(redis_url: str) -> None:
    e = make_engine(redis_url)
    e.user("a", "b", "r")
    e.follow("r", "b")
    e.follow("r", "a")
    originals = [e.post("a", T0 + i * MIN) for i in range(100)]
    for i, pid in enumerate(originals[:50]):  # reposts of posts far below the newest 40
        repost(e, pid, "b", T0 + (200 + i) * MIN)
    assert e.tl.home_count("r") == 150
    assert set(e.tl.home_encodings("r")) == {"listpack"}  # a head and a piece
    assert e.tl.bytes_per_entry("r") <= 24.0


@pytest.mark.parametrize("viral", [False, True])
def test_reposted_by_counts_only_followed_reposters_also_on_a_viral_post(
    engine: Engine, viral: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.adapters import redis_timeline

    if viral:  # more reposters than the page reads: the reader's followees are asked
        monkeypatch.setattr(redis_timeline, "REPOSTERS_READ", 3)
    e = engine
    reposters = [f"b{i}" for i in range(10)]
    e.user("a", "r", *reposters)
    e.follow("r", "b0")
    e.follow("r", "b1")
    pid = e.post("a", T0)
    for i, b in enumerate(reposters):
        repost(e, pid, b, T0 + (i + 1) * MIN)
    # b0's repost is in r's timeline, b1's held back; both are older than the newest 8
    [item] = home(e, "r")
    assert item["id"] == str(pid)
    assert item["reposted_by"] == {
        "users": [
            {"id": "b1", "handle": "h_b1", "display_name": "User b1"},
            {"id": "b0", "handle": "h_b0", "display_name": "User b0"},
        ],
        "count": 2,
    }
    [mine] = home(e, "b9")  # the reposter's own page counts the reposter
    assert by(mine) == (["b9"], 1)


class RepostRecords:
    """The repost records' truth (EngagementRecords.get_switch only; Firestore's own tests
    cover the store): (post, reposter) -> active."""

    def __init__(self) -> None:
        self.on: dict[tuple[int, str], bool] = {}

    def get_switch(self, kind: Kind, post_id: int, user_id: str) -> Switch | None:
        active = self.on.get((post_id, user_id))
        return None if active is None else Switch(kind, post_id, user_id, 1, active)


def test_a_repost_the_records_do_not_hold_is_dropped(engine: Engine) -> None:
    e = engine
    records = RepostRecords()
    e.planner = FanoutPlanner(e.tl, e.graph, e.pub, e.settings, e.store, records=records)  # type: ignore[arg-type]
    e.user("a", "b", "r")
    e.follow("r", "b")
    pid = e.post("a", T0)
    repost(e, pid, "b", T0 + MIN)  # forged: b never reposted it
    assert e.tl.home_ids("r") == [] and e.r.hlen(keys.reposts(pid)) == 0
    records.on[(pid, "b")] = False  # reposted and taken back: still nothing
    repost(e, pid, "b", T0 + MIN)
    assert e.tl.home_ids("r") == []
    records.on[(pid, "b")] = True
    repost(e, pid, "b", T0 + 2 * MIN)
    assert shown(e, "r") == [(pid, (["b"], 1))]
