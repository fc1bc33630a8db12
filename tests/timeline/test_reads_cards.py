"""Profile cards on the read path, and the planner's graph reads (real Redis, in-memory ports)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

from shared.adapters import redis_keys as keys
from shared.domain.media import MediaRef
from shared.domain.model import User
from shared.usecases.timeline import TimelineReader
from tests.timeline.conftest import Engine, make_engine

pytestmark = pytest.mark.integration

T0 = 1_770_000_000_000
AVATAR = {"id": "m1", "variants": [{"width": 96, "url": "https://x/96"}]}


class CountingAvatars:
    def __init__(self) -> None:
        self.calls = 0

    def get_avatars(self, user_ids: Iterable[str]) -> dict[str, MediaRef]:
        self.calls += 1
        return {}


class CountingGraph:
    """The engine's MemGraph, counting what the planner and the reader ask of it."""

    def __init__(self, e: Engine) -> None:
        self.g = e.graph
        self.pages = 0
        self.counts = 0
        self.users = 0

    def follower_count(self, user_id: str) -> int:
        self.counts += 1
        return self.g.follower_count(user_id)

    def iter_follower_pages(self, user_id: str, page_size: int = 1000) -> Iterator[list[str]]:
        for page in self.g.iter_follower_pages(user_id, page_size):
            self.pages += 1
            yield page

    def following_ids(self, user_id: str) -> list[str]:
        return self.g.following_ids(user_id)

    def followers_among(self, uid: str, ids: Iterable[str]) -> set[str]:
        return self.g.followers_among(uid, ids)

    def get_users(self, ids: Iterable[str]) -> dict[str, User]:
        self.users += 1
        return self.g.get_users(ids)


def test_cards_are_filled_once_then_the_page_needs_neither_graph_nor_avatars(
    engine: Engine,
) -> None:
    e = engine
    e.user("a", "r")
    e.follow("r", "a")
    pid = e.post("a", T0)
    graph, avatars = CountingGraph(e), CountingAvatars()
    reader = TimelineReader(e.tl, graph, e.store, e.cards, avatars)
    assert [p.id for p in reader.home("r", 20).posts] == [pid]
    assert (graph.users, avatars.calls) == (1, 1)  # both cards missing: one call each
    assert e.r.type(keys.card("a")) == b"hash" and e.r.ttl(keys.card("a")) == -1
    page = reader.home("r", 20)
    assert (graph.users, avatars.calls) == (1, 1)  # Redis only now
    assert page.authors["a"].handle == "h_a" and page.authors["a"].avatar is None
    e.cards.set_avatar("a", AVATAR)
    assert reader.home("r", 20).authors["a"].avatar == AVATAR  # at once
    e.cards.set_avatar("a", None)
    assert reader.home("r", 20).authors["a"].avatar is None
    e.cards.set_avatar("nobody", AVATAR)  # no card: nothing is created
    assert not e.r.exists(keys.card("nobody"))


def test_planner_reads_each_follower_window_once(redis_url: str) -> None:
    # 2.5 pages of followers, under the pull threshold: counted, then pushed
    e = make_engine(redis_url, fanout_batch_size=4, pull_follower_threshold=100)
    fans = [f"f{i}" for i in range(10)]
    e.user("a", *fans)
    for f in fans:
        e.follow(f, "a")
    graph = CountingGraph(e)
    e.planner.graph = graph
    pid = e.post("a", T0)
    assert (graph.pages, graph.counts) == (3, 1)
    assert all(e.tl.home_ids(f) == [pid] for f in fans)
