from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_lib

from shared import events, ids
from shared.adapters import redis_keys as keys
from shared.adapters.clients import redis_client
from shared.adapters.redis_cards import RedisProfileCards
from shared.adapters.redis_timeline import RedisTimelines
from shared.config import Settings
from shared.domain.model import Post
from shared.usecases.fanout import FanoutPlanner, FollowSync, TimelineWriter
from shared.usecases.timeline import TimelineReader
from tests.timeline.fakes import ListPublisher, MemGraph, MemPosts

_seq = itertools.count(1)


def make_id(ms: int) -> int:
    """A post id minted at unix millisecond ``ms`` (unique within the test session)."""
    return ((ms - ids.KWETTER_EPOCH_MS) << 22) | (next(_seq) & 0x3FFFFF)


@dataclasses.dataclass
class Engine:
    settings: Settings
    r: redis_lib.Redis[bytes]
    tl: RedisTimelines
    cards: RedisProfileCards
    graph: MemGraph
    store: MemPosts
    pub: ListPublisher
    planner: FanoutPlanner
    writer: TimelineWriter
    follow_sync: FollowSync
    reader: TimelineReader

    def user(self, *uids: str, active: bool = True) -> None:
        for u in uids:
            self.graph.add_user(u)
            if active:
                self.tl.touch(u)

    def follow(self, a: str, b: str) -> None:
        self.graph.follow(a, b)
        self.follow_sync.handle(followed(a, b))

    def unfollow(self, a: str, b: str) -> None:
        self.graph.unfollow(a, b)
        self.follow_sync.handle(unfollowed(a, b))

    def deliver(self) -> None:
        """Hand every published FanoutBatch to the writer (what Pub/Sub does)."""
        sent, self.pub.sent = self.pub.sent, []
        for _, e in sent:
            assert isinstance(e, events.FanoutBatch)
            self.writer.handle(e)

    def post(self, author: str, ms: int, text: str = "hi") -> int:
        pid = make_id(ms)
        self.store.add(Post(pid, author, text, ms))
        self.planner.handle(created(pid, author, text, ms))
        self.deliver()
        return pid

    def delete(self, author: str, pid: int) -> None:
        self.store.delete(pid)
        self.planner.handle(deleted(pid, author))
        self.deliver()

    def page(self, uid: str, limit: int = 20, before: int | None = None) -> list[int]:
        return [p.id for p in self.reader.home(uid, limit, before).posts]

    def own_keys(self, uid: str) -> list[str]:
        """The own timeline's keys that exist: the head, then its pieces, newest first."""
        return [k for k in keys.own_pieces(uid, self.tl.pieces) if self.r.exists(k)]

    def own_ids(self, uid: str) -> list[int]:
        return [int(m) for k in self.own_keys(uid) for m in self.r.zrevrange(k, 0, -1)]

    def own_count(self, uid: str) -> int:
        return sum(int(self.r.zcard(k)) for k in self.own_keys(uid))

    def own_encodings(self, uid: str) -> set[str]:
        return {self.r.object("encoding", k).decode() for k in self.own_keys(uid)}

    def own_bytes_per_entry(self, uid: str) -> float:
        """MEMORY USAGE of all the own timeline's keys per entry."""
        used = sum(int(self.r.memory_usage(k) or 0) for k in self.own_keys(uid))
        return used / max(1, self.own_count(uid))

    def dump(self) -> dict[bytes, object]:
        """Every key with its value and encoding (for idempotency checks)."""
        out: dict[bytes, object] = {}
        for k in sorted(self.r.scan_iter(count=1000)):
            t = self.r.type(k)
            if t == b"zset":
                v: object = (self.r.zrange(k, 0, -1, withscores=True), self.r.object("encoding", k))
            elif t == b"set":
                v = sorted(self.r.smembers(k))
            elif t == b"hash":
                v = sorted(self.r.hgetall(k).items())
            else:
                v = self.r.get(k)
            out[k] = v
        return out


def created(pid: int, author: str, text: str, ms: int) -> events.PostCreated:
    return events.PostCreated(
        event_id=f"c{pid}", occurred_ms=ms, post_id=str(pid), author_id=author, text=text,
        created_ms=ms,
    )  # fmt: skip


def deleted(pid: int, author: str) -> events.PostDeleted:
    return events.PostDeleted(
        event_id=f"d{pid}", occurred_ms=0, post_id=str(pid), author_id=author,
        created_ms=ids.timestamp_ms(pid),
    )  # fmt: skip


def followed(a: str, b: str) -> events.UserFollowed:
    return events.UserFollowed(event_id=f"f{a}{b}", occurred_ms=0, follower_id=a, followee_id=b)


def unfollowed(a: str, b: str) -> events.UserUnfollowed:
    return events.UserUnfollowed(event_id=f"u{a}{b}", occurred_ms=0, follower_id=a, followee_id=b)


# The engine's rules are tested against Settings' own defaults, whatever the environment says
# (another test's stack may have exported its own, e.g. BURST_POST_THRESHOLD).
POLICY_ENV = (
    "TIMELINE_CAP", "TIMELINE_TRIM_EVERY", "FANOUT_BATCH_SIZE", "PULL_FOLLOWER_THRESHOLD",
    "BURST_WINDOW_SECONDS", "BURST_POST_THRESHOLD", "INACTIVE_DAYS", "BACKFILL_LIMIT",
)  # fmt: skip


def default_settings() -> Settings:
    saved = {k: os.environ.pop(k) for k in POLICY_ENV if k in os.environ}
    try:
        return Settings()
    finally:
        os.environ.update(saved)


def make_engine(redis_url: str, **overrides: Any) -> Engine:
    settings = dataclasses.replace(default_settings(), redis_url=redis_url, **overrides)
    r = redis_client(redis_url)
    r.flushdb()
    tl, cards = RedisTimelines(r, settings), RedisProfileCards(r)
    graph, store, pub = MemGraph(), MemPosts(), ListPublisher()
    return Engine(
        settings=settings, r=r, tl=tl, cards=cards, graph=graph, store=store, pub=pub,
        planner=FanoutPlanner(tl, graph, pub, settings, store),
        writer=TimelineWriter(tl),
        follow_sync=FollowSync(tl, graph, store, settings),
        reader=TimelineReader(tl, graph, store, cards),
    )  # fmt: skip


@pytest.fixture(params=["single", "cluster"])
def topology_url(request: pytest.FixtureRequest) -> str:
    """The same engine tests on one Redis and on the local 3-master Redis Cluster (issue 19)."""
    name = "redis_url" if request.param == "single" else "redis_cluster_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def engine(topology_url: str) -> Iterator[Engine]:
    e = make_engine(topology_url)
    yield e
    e.r.close()
