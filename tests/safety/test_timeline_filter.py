"""The home timeline filtered at read (docs/safety.md), on the real Redis and Neo4j: pushed and
pulled posts alike, entries already in the timeline, reposts, replies across a block, and the
suspended; the user's own posts page refuses a blocked viewer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.adapters.neo4j_graph import Neo4jGraph
from shared.domain import safety
from shared.usecases.safety import SilencingService, Suspensions
from shared.usecases.timeline import TimelineReader
from tests.safety.conftest import users
from tests.timeline.conftest import Engine, make_engine
from tests.timeline.test_reposts import repost, shown

T0 = 1_800_000_000_000


@pytest.fixture(params=["push", "pull"])
def engine(
    request: pytest.FixtureRequest, redis_url: str, graph: Neo4jGraph,
    silencing: SilencingService, suspensions: Suspensions,
) -> Iterator[Engine]:  # fmt: skip
    # pull: every author with a follower is planned in pull mode (merged at read)
    extra = {"pull_follower_threshold": 1} if request.param == "pull" else {}
    e = make_engine(redis_url, **extra)
    e.reader = TimelineReader(e.tl, e.graph, e.store, e.cards, silencing=silencing,
                              suspensions=suspensions)  # fmt: skip
    users(graph, "r", "m", "b", "f", "s")
    e.user("r", "m", "b", "f", "s")
    for a in ("m", "b", "f", "s"):
        e.follow("r", a)
    yield e
    e.r.close()


def _set(s: SilencingService, kind: safety.Kind, a: str, b: str, on: bool = True) -> None:
    s.graph.set_relation(kind, a, b, on)
    s.record(kind, a, b, on)


def test_mutes_blocks_and_suspensions_leave_home_entries_already_there(
    engine: Engine, silencing: SilencingService, suspensions: Suspensions
) -> None:
    e = engine
    pm, pb, pf, ps = (e.post(a, T0 + i, f"by {a}") for i, a in enumerate("mbfs"))
    assert set(e.page("r")) == {pm, pb, pf, ps}
    _set(silencing, "mute", "r", "m")
    _set(silencing, "block", "b", "r")  # b blocks the reader: hidden from the reader too
    assert suspensions.set("s", True)
    assert e.page("r") == [pf]
    # posts made afterwards, pushed or pulled, are kept out as well
    later = e.post("m", T0 + 10, "later")
    assert e.page("r") == [pf]
    _set(silencing, "mute", "r", "m", on=False)
    assert suspensions.set("s", False)
    assert e.page("r") == [later, ps, pf, pm]


def test_a_short_page_is_refilled_past_the_filtered(
    engine: Engine, silencing: SilencingService
) -> None:
    e = engine
    # 12 muted entries above the kept one: past the first rounds' pages of 5, inside the
    # reader's bounded refills (MAX_ROUNDS); further down, a page comes back short with a cursor
    mine = [e.post("m", T0 + i, f"m{i}") for i in range(12)]
    keep = e.post("f", T0 - 1, "older, kept")
    _set(silencing, "mute", "r", "m")
    page = e.reader.home("r", 5)
    assert [p.id for p in page.posts] == [keep]
    assert not set(mine) & {p.id for p in page.posts}


def test_replies_across_a_block_and_the_blocked_viewer(
    engine: Engine, silencing: SilencingService
) -> None:
    e = engine
    _set(silencing, "block", "r", "b")
    # the reader's own posts page, seen by the one they block: refused
    with pytest.raises(safety.Blocked):
        e.reader.user_posts("r", 20, viewer="b")
    with pytest.raises(safety.Blocked):
        e.reader.user_posts("b", 20, viewer="r")


def test_a_silenced_reposter_is_never_named_and_alone_shows_nothing(
    engine: Engine, silencing: SilencingService, suspensions: Suspensions
) -> None:
    """A repost entry names only reposters the reader may see: one muted, blocked (either
    way) or suspended is left out of ``reposted_by``; when every reposter is, the repost entry
    leaves the home (the original stays where its author is followed)."""
    e = engine
    e.user("a")
    both = e.post("a", T0, "reposted by m, then by f")
    repost(e, both, "m", T0 + 1_000)
    repost(e, both, "f", T0 + 2_000)  # within 40 of m's entry: not inserted (deduped at write)
    alone = {who: e.post("a", T0 + 10 + i, f"reposted by {who} only") for i, who in
             enumerate("mbs")}  # fmt: skip
    for i, (who, pid) in enumerate(alone.items()):
        repost(e, pid, who, T0 + 5_000 + i * 1_000)
    names = dict(shown(e, "r"))
    assert names[both] == (["f", "m"], 2)
    assert all(names[pid] == ([who], 1) for who, pid in alone.items())

    _set(silencing, "mute", "r", "m")
    _set(silencing, "block", "b", "r")  # the reposter blocks the reader
    assert suspensions.set("s", True)
    # f's repost is shown, naming f alone; the silenced ones' own reposts are gone
    assert shown(e, "r") == [(both, (["f"], 1))]
    # the reader blocking f instead: m named again, f never
    _set(silencing, "mute", "r", "m", on=False)
    _set(silencing, "block", "b", "r", on=False)
    assert suspensions.set("s", False)
    _set(silencing, "block", "r", "f")
    assert shown(e, "r") == [(alone["s"], (["s"], 1)), (alone["b"], (["b"], 1)),
                             (alone["m"], (["m"], 1)), (both, (["m"], 1))]  # fmt: skip
