"""Cold-start suggestions (issue 17): when the graph has nothing to offer, active and popular
accounts — most followed first, only those who have posted, never yourself or whom you follow.
On the real Neo4j (the graph fixture), with post counts from a stand-in counter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from shared.adapters.neo4j_graph import Neo4jGraph
from shared.usecases import users as users_mod
from shared.usecases.users import UsersService

pytestmark = pytest.mark.integration


class Counts:
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.calls = 0

    def count_user_posts(self, author_id: str) -> int:
        self.calls += 1
        return self.counts.get(author_id, 0)

    def count_user_posts_many(self, author_ids: Sequence[str]) -> dict[str, int]:
        self.calls += 1
        return {a: self.counts.get(a, 0) for a in author_ids}


class NoPublisher:
    def publish(self, topic: str, event: Any) -> None:
        raise AssertionError("suggestions publish nothing")


def test_cold_start_suggests_active_popular_accounts(graph: Neo4jGraph) -> None:
    for uid in ("new", "star", "mid", "quiet", "fan1", "fan2", "fan3"):
        assert graph.create_user(uid, f"h_{uid}", uid.title()) is not None
    for fan in ("fan1", "fan2", "fan3"):
        graph.follow_with_state(fan, "star")
        graph.follow_with_state(fan, "quiet")
    for fan in ("fan1", "fan2"):
        graph.follow_with_state(fan, "mid")
    # The fans' follows give each other 2nd-degree suggestions; "new" has no path anywhere.
    counts = Counts({"star": 5, "mid": 2, "fan1": 1, "fan2": 1, "fan3": 1})  # quiet never posted
    svc = UsersService(graph, NoPublisher(), counts)  # type: ignore[arg-type]

    got = svc.suggestions("new", 3)
    assert [(s.user.id, s.degree, s.mutual_count) for s in got] == [
        ("star", 0, 0), ("mid", 0, 0), ("fan1", 0, 0),
    ]  # fmt: skip
    assert got[0].user.follower_count == 3 and got[0].user.post_count == 5

    # Following the star (who follows nobody) still leaves the graph empty-handed: the pool,
    # cached, now without the star; the post store is not asked again.
    calls = counts.calls
    graph.follow_with_state("new", "star")
    assert [s.user.id for s in svc.suggestions("new", 3)] == ["mid", "fan1", "fan2"]
    assert counts.calls == calls

    # Never yourself; and a graph with something to offer is answered from the graph.
    assert "mid" not in [s.user.id for s in svc.suggestions("mid", 10)]
    graph.follow_with_state("star", "mid")
    from_graph = svc.suggestions("new", 5)
    assert [(s.user.id, s.degree) for s in from_graph] == [("mid", 2)]


def test_the_pool_is_bounded_and_refreshed(
    graph: Neo4jGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    for uid in ("new", "a", "b", "c"):
        graph.create_user(uid, f"h_{uid}", uid)
    monkeypatch.setattr(users_mod, "POPULAR_POOL", 2)
    svc = UsersService(graph, NoPublisher(), Counts({"a": 1, "b": 1, "c": 1}))  # type: ignore[arg-type]
    assert len(svc.suggestions("new", 10)) <= 2
    graph.follow_with_state("a", "c")
    graph.follow_with_state("b", "c")
    assert "c" not in [s.user.id for s in svc.suggestions("new", 10)]  # cached
    monkeypatch.setattr(users_mod, "POPULAR_TTL_S", 0.0)
    assert svc.suggestions("new", 10)[0].user.id == "c"  # refreshed: most followed


def test_silent_celebrities_do_not_hide_the_active_and_an_empty_pool_is_not_kept(
    graph: Neo4jGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The most-followed accounts have never posted (as after a graph import): the pool reads
    # past them, a bounded few pages, to the ones who have.
    for uid in ("new", "s1", "s2", "poster", "f1", "f2", "f3"):
        graph.create_user(uid, f"h_{uid}", uid)
    for fan in ("f1", "f2", "f3"):
        graph.follow_with_state(fan, "s1")
        graph.follow_with_state(fan, "s2")
    graph.follow_with_state("f1", "poster")
    monkeypatch.setattr(users_mod, "POPULAR_POOL", 2)
    counts = Counts({})
    svc = UsersService(graph, NoPublisher(), counts)  # type: ignore[arg-type]
    assert svc.suggestions("new", 5) == []  # nobody has posted yet
    counts.counts["poster"] = 1
    # Not an empty answer cached for minutes: the first post shows at once.
    assert [s.user.id for s in svc.suggestions("new", 5)] == ["poster"]
