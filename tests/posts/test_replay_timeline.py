"""Seek-replay through the real pipeline: posts -> planner -> writer -> Redis, twice, same result.

Uses the timeline engine's consumers as they are deployed (shared.usecases.fanout), on real
Redis, Neo4j, Pub/Sub and Firestore: redelivered events must leave every timeline unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import uuid

import neo4j
import pytest
import redis as redis_lib
from google.api_core import exceptions as gexc

from devstack import replay
from shared import config, events
from shared.adapters.firestore_posts import FirestorePosts
from shared.adapters.neo4j_graph import Neo4jGraph
from shared.adapters.redis_cards import RedisProfileCards
from shared.adapters.redis_timeline import RedisTimelines
from shared.usecases.fanout import FANOUT_TOPIC, FanoutPlanner, TimelineWriter
from shared.usecases.posts import PostsService
from shared.usecases.timeline import TimelineReader
from tests.conftest import PROJECT_ID
from tests.posts.conftest import PubSub

pytestmark = pytest.mark.integration


def test_seek_replay_leaves_home_timelines_unchanged(
    store: FirestorePosts, pubsub: PubSub, redis_url: str, neo4j_uri: str
) -> None:
    settings = dataclasses.replace(config.load(), redis_url=redis_url, neo4j_uri=neo4j_uri)
    tag = uuid.uuid4().hex[:6]
    author, fan, other = f"ann{tag}", f"fay{tag}", f"oli{tag}"
    with neo4j.GraphDatabase.driver(neo4j_uri) as driver:
        graph = Neo4jGraph(driver, "neo4j")
        graph.ensure_schema()
        for uid in (author, fan, other):
            graph.create_user(uid, uid, uid.title())
        graph.follow(fan, author)
        client = redis_lib.Redis.from_url(redis_url)
        tl = RedisTimelines(client, settings)
        for uid in (fan, other):
            tl.touch(uid)  # active readers get pushed posts
        planner = FanoutPlanner(tl, graph, pubsub.publisher, settings, store)
        writer = TimelineWriter(tl)
        reader = TimelineReader(tl, graph, store, RedisProfileCards(client))

        def home(uid: str) -> list[str]:
            # What GET /v1/timeline serves: pushed entries merged with pulled authors' posts
            # (the planner may pick pull for a bursty author).
            return [p.to_json()["id"] for p in reader.home(uid, 50).posts]

        topic = pubsub.topic()
        posts_sub = pubsub.subscription(topic, retain_acked=True)
        with contextlib.suppress(gexc.AlreadyExists):
            pubsub.publisher_client.create_topic(
                name=pubsub.publisher_client.topic_path(PROJECT_ID, FANOUT_TOPIC)
            )
        batches_sub = pubsub.subscription(FANOUT_TOPIC)

        def deliver(expect: int) -> None:
            """What Pub/Sub push does: post-events to the planner, its batches to the writer."""
            for event in pubsub.pull(posts_sub, expect=expect):
                planner.handle(event)
            for batch in pubsub.pull(batches_sub, expect=1, timeout=5):
                if isinstance(batch, events.FanoutBatch) and batch.author_id == author:
                    writer.handle(batch)

        service = PostsService(store, pubsub.publisher, topic=topic)
        before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        made = [service.create(author, f"post {i}", None)[0] for i in range(3)]
        service.delete(author, made[1].id)
        deliver(expect=4)
        timeline = home(fan)
        assert timeline == [str(made[2].id), str(made[0].id)]
        assert home(other) == []
        pushed = tl.home_ids(fan)

        assert replay.main(
            ["--project", PROJECT_ID, "seek", "--subscription", posts_sub,
             "--time", before.isoformat()]
        ) == 0  # fmt: skip
        deliver(expect=4)  # the same four events, acked before, delivered again
        assert home(fan) == timeline
        assert tl.home_ids(fan) == pushed  # and the pushed entries themselves are unchanged
        assert home(other) == []
