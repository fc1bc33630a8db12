"""rebuild-timelines on the real adapters: Neo4j graph, Firestore posts, Redis wiped and rebuilt."""

from __future__ import annotations

import dataclasses
import random
import uuid
from pathlib import Path

import neo4j
import pytest
import redis as redis_lib

from devstack.rebuild_timelines import Checkpoint, neo4j_user_ids, rebuild
from shared import events, ids
from shared.adapters import redis_keys as keys
from shared.adapters.firestore_engagement import FirestoreEngagement
from shared.adapters.firestore_posts import FirestorePosts
from shared.adapters.neo4j_graph import Neo4jGraph
from shared.adapters.redis_cards import RedisProfileCards
from shared.adapters.redis_timeline import RedisTimelines
from shared.config import Settings
from shared.domain.conversations import Kind
from shared.usecases.fanout import FanoutPlanner, TimelineWriter
from shared.usecases.rebuild import TimelineRebuild
from shared.usecases.timeline import TimelineReader

pytestmark = pytest.mark.integration


class Collect:
    def __init__(self) -> None:
        self.sent: list[events._Event] = []

    def publish(self, topic: str, event: events._Event) -> None:
        self.sent.append(event)


def test_wiped_redis_is_rebuilt_to_identical_timelines_resuming_from_a_checkpoint(
    redis_url: str, neo4j_uri: str, firestore_emulator: str, tmp_path: Path
) -> None:
    from google.cloud import firestore

    settings = dataclasses.replace(Settings(), redis_url=redis_url, pull_follower_threshold=5)
    r = redis_lib.Redis.from_url(redis_url)
    r.flushdb()
    tl = RedisTimelines(r, settings)
    driver = neo4j.GraphDatabase.driver(neo4j_uri, auth=None)
    db = f"rb{uuid.uuid4().hex[:8]}"  # users of this test only: ids carry a unique prefix
    graph = Neo4jGraph(driver, "neo4j")
    graph.ensure_schema()
    fs = firestore.Client(project="demo-kwetter-test")
    store = FirestorePosts(fs)
    users = [f"{db}-u{i}" for i in range(8)]
    for i, u in enumerate(users):
        graph.create_user(u, f"{db}h{i}", f"User {i}")
    rng = random.Random(5)
    for u in users:
        for v in rng.sample(users, 4):
            if v != u:
                graph.follow(u, v)
    for u in users[:6]:  # users[7] becomes a celebrity (pull mode)
        graph.follow(u, users[7])
    pub = Collect()
    records = FirestoreEngagement(fs)
    planner = FanoutPlanner(tl, graph, pub, settings, store, records)
    writer = TimelineWriter(tl)
    for u in users:
        tl.touch(u)
    made = []
    for k in range(30):
        author = users[k % len(users)]
        _, ev, _ = store.create_post(author, f"post {k}", None, ids.new_id())
        planner.handle(ev)
        made.append((author, int(ev.post_id)))
    # Reposts (issue 20): each user reposts two others' posts; one repost is withdrawn.
    for i, u in enumerate(users):
        for _author, pid in [m for m in made if m[0] != u][i : i + 2]:
            post = store.get_post(pid)
            assert post is not None
            _, ev2 = records.switch(Kind.REPOST, post, u, True)
            assert ev2 is not None
            planner.handle(ev2)
    undone = store.get_post(made[1][1])
    assert undone is not None
    _, ev3 = records.switch(Kind.REPOST, undone, users[0], False)
    assert ev3 is not None
    planner.handle(ev3)
    for _author, pid in made[::7]:
        deleted = store.delete_post_once(pid)
        assert deleted is not None
        planner.handle(deleted[0])
    for batch in pub.sent:
        assert isinstance(batch, events.FanoutBatch)
        writer.handle(batch)
    reader = TimelineReader(tl, graph, store, RedisProfileCards(r))

    def snapshot() -> dict[str, list[int]]:
        out = {}
        for u in users:
            out[u] = [p.id for p in reader.home(u, 50).posts]
            out[u + "/own"] = [p.id for p in reader.user_posts(u, 50).posts]
        return out

    before = snapshot()
    assert any(before.values()) and r.exists(keys.author_mode(users[7]))
    own_reposts = {u: [p.id for p in reader.user_posts(u, 50).posts if p.author_id != u]
                   for u in users}  # fmt: skip
    assert sum(map(len, own_reposts.values())) >= 12, own_reposts  # they are in the snapshot

    r.flushdb()  # Redis is lost
    cp_path = tmp_path / "cp.json"
    after_id = neo4j_user_ids(driver, "neo4j")

    def mine(start: str):  # type: ignore[no-untyped-def]
        return (u for u in after_id(start) if u.startswith(db))

    job = TimelineRebuild(tl, graph, store, settings, records)
    cp = rebuild(job, mine, Checkpoint.load(cp_path), progress=False,
                 stop_after_chunks=4, chunk_size=3)  # fmt: skip
    assert cp.phase == "homes" and Checkpoint.load(cp_path).after == users[2]  # interrupted
    cp = rebuild(job, mine, Checkpoint.load(cp_path), progress=False, chunk_size=3)
    assert cp.phase == "done"
    assert r.exists(keys.author_mode(users[7]))
    assert all(set(tl.home_encodings(u)) <= {"listpack"} for u in users)
    assert snapshot() == before
    driver.close()
