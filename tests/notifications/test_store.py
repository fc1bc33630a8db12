"""The notifier's rows on the real Redis, Firestore emulator and Neo4j: grouping, redelivery,
never to yourself nor from the silenced, unread and read marks, the cap, a Redis wipe restored
from the Firestore copy, and a hot post's bounded writes."""

from __future__ import annotations

import pytest

from shared import ids
from shared.adapters import redis_keys as keys
from shared.adapters.redis_notifications import FLUSH_UPTO
from shared.domain import errors
from shared.domain import notifications as domain
from shared.domain.notifications import Activity
from tests.notifications.conftest import Parts

NOW = ids.now_ms()


def like(to: str, by: str, post: str = "101", at: int = NOW) -> Activity:
    return Activity(to, by, "like", at, post)


def wipe_redis_of(p: Parts, uid: str) -> None:
    gids = [g.decode() for g in p.r.zrange(keys.notification_rows(uid), 0, -1)]
    p.r.delete(keys.notification_rows(uid), keys.notification_bodies(uid),
               keys.notification_meta(uid),
               *[keys.notification_actors(uid, g) for g in gids])  # fmt: skip


def test_likes_group_into_one_row_with_the_latest_actors(parts: Parts) -> None:
    me, a, b, c, d = parts.users("me", "a", "b", "c", "d")
    for i, who in enumerate([a, b, c, d]):
        assert parts.notifier.deliver([like(me, who, at=NOW + i)]) == 1
    page = parts.reads.page(me, 20, None).to_json()
    assert len(page["items"]) == 1
    row = page["items"][0]
    assert row["kind"] == "like" and row["post_id"] == "101"
    assert [x["id"] for x in row["actors"]] == [d, c, b]  # newest first, three shown
    assert row["actor_count"] == 4  # "D, C, B and 1 other"
    assert row["actors"][0]["handle"].startswith("d_")  # the actor's profile, from the graph
    assert page["unread"] == 1 and row["read"] is False
    # another post, another row; a like of the same post next day, another row
    parts.notifier.deliver([like(me, a, post="102"), like(me, a, at=NOW + domain.DAY_MS)])
    rows = parts.reads.page(me, 20, None).groups
    assert [(g.kind, g.post_id) for g in rows] == [
        ("like", "101"),
        ("like", "102"),
        ("like", "101"),
    ]


def test_three_deliveries_make_one_notification(parts: Parts) -> None:
    me, a, b = parts.users("me", "a", "b")
    acts = [
        like(me, a),
        Activity(me, b, "follow", NOW),
        Activity(me, a, "mention", NOW, "201"),
        Activity(me, b, "reply", NOW, "202", "101"),
    ]
    assert parts.notifier.deliver(acts) == 4
    before = parts.reads.page(me, 20, None).to_json()
    for _ in range(2):
        assert parts.notifier.deliver(acts) == 0
    after = parts.reads.page(me, 20, None).to_json()
    assert after == before
    assert after["unread"] == 4
    assert {r["kind"] for r in after["items"]} == {"like", "follow", "mention", "reply"}
    reply = next(r for r in after["items"] if r["kind"] == "reply")
    assert reply["post_id"] == "202" and reply["subject_post_id"] == "101"


def test_never_to_yourself_nor_from_someone_silenced(parts: Parts) -> None:
    me, blocked, muted, blocker, friend = parts.users("me", "bl", "mu", "bk", "fr")
    for kind, a, b in (("block", me, blocked), ("mute", me, muted), ("block", blocker, me)):
        parts.silencing.graph.set_relation(kind, a, b, True)  # type: ignore[arg-type]
        parts.silencing.record(kind, a, b, True)  # type: ignore[arg-type]
    written = parts.notifier.deliver(
        [like(me, me), like(me, blocked), like(me, muted), like(me, blocker), like(me, friend)]
    )
    assert written == 1
    rows = parts.reads.page(me, 20, None).groups
    assert [g.actors for g in rows] == [(friend,)]
    # an actor whose account is gone is left out at read
    parts.notifier.deliver([like(me, "never-registered")])
    assert parts.reads.page(me, 20, None).groups[0].actors == (friend,)
    # silenced after the row was written: hidden at read
    later = parts.users("later")[0]
    parts.notifier.deliver([like(me, later)])
    assert parts.reads.page(me, 20, None).groups[0].actors == (later, friend)
    parts.silencing.graph.set_relation("mute", me, later, True)
    parts.silencing.record("mute", me, later, True)
    assert parts.reads.page(me, 20, None).groups[0].actors == (friend,)


def test_unread_count_and_mark_read_up_to_a_cursor(parts: Parts) -> None:
    me, *others = parts.users("me", "a", "b", "c")
    for i, o in enumerate(others):
        parts.notifier.deliver([Activity(me, o, "mention", NOW + i, str(300 + i))])
    assert parts.reads.unread(me) == 3
    rows = parts.reads.page(me, 20, None).groups
    middle = rows[1].seq
    assert parts.reads.mark_read(me, middle) == 1  # the newest stays unread
    page = parts.reads.page(me, 20, None).to_json()
    assert [r["read"] for r in page["items"]] == [False, True, True]
    assert parts.reads.mark_read(me, rows[2].seq) == 1  # the mark never moves back
    assert parts.reads.mark_read(me, 10**18) == 0  # nor past the newest
    # new activity on a read row makes it unread again, at the top
    parts.notifier.deliver([like(me, others[0]), like(me, others[1])])
    assert parts.reads.unread(me) == 1
    with pytest.raises(errors.InvalidInput):
        domain.parse_mark_read({"cursor": "x1"})
    with pytest.raises(errors.InvalidInput):
        domain.parse_mark_read({"cursor": 5})
    with pytest.raises(errors.InvalidInput):
        domain.parse_mark_read({"cursor": "1", "user": "someone-else"})


def test_pages_newest_first_with_a_cursor_and_the_cap(parts: Parts) -> None:
    me, a = parts.users("me", "a")
    parts.store.cap = 30
    for i in range(40):
        parts.notifier.deliver([Activity(me, a, "mention", NOW + i, str(1000 + i))])
    seen: list[str] = []
    cursor = None
    while True:
        page = parts.reads.page(me, 7, cursor)
        seen += [g.post_id or "" for g in page.groups]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [str(1000 + i) for i in range(39, 9, -1)]  # the newest 30, newest first
    assert parts.r.hlen(keys.notification_bodies(me)) == 30


def test_a_redis_wipe_loses_no_row(parts: Parts) -> None:
    me, a, b, c = parts.users("me", "a", "b", "c")
    parts.notifier.deliver([like(me, a), Activity(me, b, "follow", NOW),
                            Activity(me, c, "mention", NOW, "401")])  # fmt: skip
    parts.notifier.deliver([like(me, b)])
    first = parts.reads.page(me, 20, None).groups
    parts.reads.mark_read(me, first[-1].seq)
    before = parts.reads.page(me, 20, None).to_json()
    wipe_redis_of(parts, me)
    assert parts.reads.page(me, 20, None).to_json() == before  # restored from Firestore
    # the restored row still knows its actors: a redelivered like is still one
    assert parts.notifier.deliver([like(me, a), like(me, b)]) == 0
    assert parts.notifier.deliver([like(me, c)]) == 1
    row = parts.reads.page(me, 20, None).groups[0]
    assert row.kind == "like" and row.count == 3
    # the sequence goes on above the restored rows: the new activity is unread, on top
    assert row.seq > max(g.seq for g in first)
    # a wipe before anything is read: the notifier restores first, then writes
    wipe_redis_of(parts, me)
    assert parts.notifier.deliver([Activity(me, a, "mention", NOW, "402")]) == 1
    assert len(parts.reads.page(me, 20, None).groups) == 4


def test_a_post_liked_thousands_of_times_makes_a_bounded_number_of_writes(parts: Parts) -> None:
    (me,) = parts.users("me")
    n = 3000
    parts.notifier.deliver([like(me, f"fan{i}") for i in range(n)])
    got = parts.store.page(me, None, 20)
    assert got is not None
    rows = got[2]
    assert len(rows) == 1
    assert abs(rows[0].count - n) <= n * 0.02  # the HyperLogLog's estimate (0.81% std error)
    assert parts.r.hlen(keys.notification_bodies(me)) == 1
    # the durable copy: every change of the first FLUSH_UPTO actors, then at most one write
    # per FLUSH_MS of the burst (this one takes a few seconds)
    assert FLUSH_UPTO <= parts.archive.writes <= FLUSH_UPTO + 40, parts.archive.writes
    hll = parts.r.memory_usage(keys.notification_actors(me, rows[0].id))
    assert hll is not None and hll <= 16_000  # 12 KB dense HLL at most, whatever n


def test_an_erased_account_leaves_every_row_that_shows_it(parts: Parts) -> None:
    me, other, alice, bob = parts.users("me", "ot", "al", "bo")
    parts.notifier.deliver([
        like(me, alice), like(me, bob), Activity(me, alice, "follow", NOW),
        Activity(other, alice, "mention", NOW, "501"), like(other, bob, post="502"),
    ])  # fmt: skip
    assert parts.reads.forget_actor(alice) == 3  # the like row, the follow row, the mention
    for uid in (me, other):
        for raw in parts.r.hvals(keys.notification_bodies(uid)):
            assert alice not in raw.decode()
        stored, _ = parts.archive.load(uid, 50)
        assert all(alice not in g.row for g in stored)
    mine = parts.reads.page(me, 20, None).groups
    assert [(g.kind, g.actors, g.count) for g in mine] == [("like", (bob,), 1)]
    assert [g.kind for g in parts.reads.page(other, 20, None).groups] == ["like"]
    assert parts.reads.forget_actor(alice) == 0  # idempotent (the eraser is redelivered)
    # after a Redis wipe, the copy has no trace of her either
    wipe_redis_of(parts, me)
    assert [g.actors for g in parts.reads.page(me, 20, None).groups] == [(bob,)]
