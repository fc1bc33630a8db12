"""Drill 1: every consumer gets each message three times, in random order, and nothing changes.

A scenario (users, follows, posts, a delete, an unfollow) is generated through the real services
in-process, in a project of its own on the stack's Pub/Sub and Firestore emulators (no push
subscriptions there, so no function consumes behind our back) and in Redis database 1. Its root
messages are pulled from test pull subscriptions. Then, twice, Redis is flushed and every user
marked active (the engine only pushes into the timelines of users who read recently):

- run A delivers every message once, in publish order, each FanoutBatch the planner publishes
  pulled from Pub/Sub and delivered right after;
- run B delivers each message three times in shuffled order, the cascading batches (published
  three times, as a replanned post is) each delivered three times at random later points.

Every delivery goes through the shared consumer's ``consume`` with the real handlers. The timelines
every user reads, the Redis timelines themselves, the graph and the post counts must be the same.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import pubsub_v1

from devstack.stack import LocalStack
from shared import events
from shared.adapters import redis_keys as keys
from shared.bootstrap import Container
from shared.entrypoints.pubsub import consumer
from shared.usecases.fanout import FanoutPlanner
from shared.usecases.posts import PostsService
from tests.faults import harness

pytestmark = pytest.mark.integration

PROJECT = "faults-redelivery"
FUNCTION_OF = {
    "post-events": "fanout_planner",
    "social-events": "follow_sync",
    "fanout-batches": "timeline_writer",
}


@dataclass
class Message:
    topic: str
    data: bytes
    attributes: dict[str, str]
    message_id: str
    order: tuple[float, int] = (0.0, 0)


@dataclass
class CountingPublisher:
    """The real publisher, counting what goes to fanout-batches (so we know what to pull)."""

    inner: Any
    sent: dict[str, int] = field(default_factory=dict)

    def publish(self, topic: str, event: events._Event) -> None:
        self.inner.publish(topic, event)
        self.sent[topic] = self.sent.get(topic, 0) + 1

    def publish_many(self, topic: str, batch: list[events._Event]) -> None:
        self.inner.publish_many(topic, batch)
        self.sent[topic] = self.sent.get(topic, 0) + len(batch)

    def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None:
        self.inner.publish_raw(topic, data, attributes)


class Pipeline:
    def __init__(self, c: Container, subscriber: pubsub_v1.SubscriberClient) -> None:
        self.c = c
        self.subscriber = subscriber
        self.pub = CountingPublisher(c.publisher)
        self.handlers = {
            "post-events": FanoutPlanner(
                c.timelines, c.graph, self.pub, c.settings, c.posts
            ).handle,
            "social-events": c.follow_sync.handle,
            "fanout-batches": c.timeline_writer.handle,
        }
        self.batch_sub = subscriber.subscription_path(PROJECT, "drill-fanout-batches")
        self.pulled_batches = 0
        self.deliveries = 0

    def deliver(self, m: Message) -> list[Message]:
        """Deliver once through consume(); the FanoutBatch messages it caused, pulled."""
        before = self.pub.sent.get("fanout-batches", 0)
        ce = harness.cloud_event(m.data, m.attributes, m.message_id)
        consumer.consume(
            ce, FUNCTION_OF[m.topic], self.handlers[m.topic], self.pub,
            keys=lambda: self.c.data_keys,
        )  # fmt: skip
        self.deliveries += 1
        new = self.pub.sent.get("fanout-batches", 0) - before
        if not new:
            return []
        got = harness.pull_all(self.subscriber, self.batch_sub, want=new, timeout=20)
        assert len(got) == new, f"published {new} batches, pulled {len(got)}"
        return [_message("fanout-batches", r) for r in got]


def _message(topic: str, r: Any) -> Message:
    stamp = r.message.publish_time
    return Message(
        topic, r.message.data, dict(r.message.attributes), r.message.message_id,
        (stamp.timestamp(), 0),
    )  # fmt: skip


def _setup_topics(subscriber: pubsub_v1.SubscriberClient) -> None:
    publisher = pubsub_v1.PublisherClient()
    for topic in [*FUNCTION_OF, "post-events-dlq", "social-events-dlq", "fanout-batches-dlq"]:
        with contextlib.suppress(AlreadyExists):
            publisher.create_topic(name=publisher.topic_path(PROJECT, topic))
    for topic in FUNCTION_OF:
        with contextlib.suppress(AlreadyExists):
            subscriber.create_subscription(
                name=subscriber.subscription_path(PROJECT, f"drill-{topic}"),
                topic=publisher.topic_path(PROJECT, topic),
                ack_deadline_seconds=60,
            )


def _scenario(c: Container, rng: random.Random) -> tuple[list[str], int, int]:
    """Users, follows, posts, a follow after the posts, a delete, an unfollow.

    Returns (user ids, post-events published, social-events published)."""
    import uuid

    tag = uuid.uuid4().hex[:6]
    users = c.users
    posts = PostsService(c.posts, c.publisher)
    uids = [f"dup-{tag}-{i}" for i in range(7)]
    for u in uids:
        users.register(u, f"dup_{tag}_{u[-1]}", u)
    follows = 0
    for a in uids[:-1]:
        for b in uids:
            if a != b and rng.random() < 0.5:
                follows += users.follow(a, b)
    created: list[tuple[str, int]] = []
    for round_ in range(3):
        for u in uids:
            post, _ = posts.create(u, f"post {round_} of {u} — 'quoted' \"text\"", None)
            created.append((u, post.id))
    late = uids[-1]  # follows everyone only now: the backfill path
    for b in uids[:-1]:
        follows += users.follow(late, b)
    victim_author, victim = created[4]
    posts.delete(victim_author, victim)
    unfollows = int(users.unfollow(late, uids[0]))
    return uids, len(created) + 1, follows + unfollows


def _state(c: Container, uids: list[str]) -> dict[str, Any]:
    """What readers see, the Redis timelines, the graph and the counts."""
    r = c.redis
    raw: dict[str, Any] = {
        k.decode(): r.zrange(k, 0, -1, withscores=True)
        for head in (keys.home("*"), keys.own("*"))
        for pattern in (head, head + ":*")  # the head, then its pieces
        for k in r.scan_iter(match=pattern)
    }
    raw["pullers"] = sorted(k.decode() for k in r.scan_iter(match=keys.author_mode("*")))
    raw["tombstones"] = sorted(k.decode() for k in r.scan_iter(match=keys.tombstone("*")))
    reader = c.timeline_reader
    homes = {u: [(p.id, p.text) for p in reader.home(u, 100).posts] for u in uids}
    own = {u: [p.id for p in reader.user_posts(u, 100).posts] for u in uids}
    g, store = c.graph, c.posts
    graph = {
        u: (sorted(g.following_ids(u)), g.follower_count(u), store.count_user_posts(u))
        for u in uids
    }
    return {"redis": raw, "homes": homes, "own": own, "graph": graph}


def _fresh(c: Container, uids: list[str]) -> None:
    c.redis.flushdb()
    for u in uids:
        c.timelines.touch(u)


# "push": every post is pushed, so even the raw Redis state must match. "bursty": a tiny burst
# threshold makes the planner choose pull for some posts; that choice depends on which of the
# author's posts it has seen (arrival order, by design), so push/pull placement may differ
# between runs while what every reader sees must not.
# Both Redis topologies (issue 19): one node, and the 3-master local Redis Cluster.
@pytest.mark.parametrize("topology", ["single", "cluster"])
@pytest.mark.parametrize("burst_threshold", [10**9, 2], ids=["push", "bursty"])
def test_three_deliveries_out_of_order_equal_one_clean_run(
    stack: LocalStack, burst_threshold: int, topology: str, request: pytest.FixtureRequest
) -> None:
    rng = random.Random(8)
    if topology == "cluster":
        redis_url = str(request.getfixturevalue("redis_cluster_url"))
    else:
        redis_url = f"redis://127.0.0.1:{stack.ports.redis}/1"
    c = harness.container(
        stack, project_id=PROJECT, redis_url=redis_url, burst_post_threshold=burst_threshold,
    )  # fmt: skip
    subscriber = pubsub_v1.SubscriberClient()
    _setup_topics(subscriber)
    uids, n_posts, n_social = _scenario(c, rng)

    roots = [
        _message(topic, m)
        for topic, want in (("post-events", n_posts), ("social-events", n_social))
        for m in harness.pull_all(
            subscriber, subscriber.subscription_path(PROJECT, f"drill-{topic}"), want=want
        )
    ]
    assert len(roots) == n_posts + n_social
    roots.sort(key=lambda m: (events.decode(m.data).occurred_ms, m.order))

    # Run A: once each, in order, batches right behind the message that caused them.
    pipe = Pipeline(c, subscriber)
    _fresh(c, uids)
    for m in roots:
        for b in pipe.deliver(m):
            pipe.deliver(b)
    clean = _state(c, uids)
    a_deliveries = pipe.deliveries
    for u in uids:  # the clean run is right, not just self-consistent
        assert [pid for pid, _ in clean["homes"][u]] == harness.expected_home(c, u)

    # Run B: three times each, shuffled; cascading batches join the shuffle as they appear.
    pipe = Pipeline(c, subscriber)
    _fresh(c, uids)
    pending = [m for m in roots for _ in range(3)]
    rng.shuffle(pending)
    while pending:
        m = pending.pop(rng.randrange(len(pending)))
        for b in pipe.deliver(m):
            for _ in range(3):
                pending.insert(rng.randrange(len(pending) + 1), b)
    messy = _state(c, uids)

    assert pipe.deliveries > 3 * a_deliveries  # replanned posts republish their batches
    assert messy["graph"] == clean["graph"]
    assert messy["homes"] == clean["homes"]
    assert messy["own"] == clean["own"]
    if burst_threshold == 10**9:
        assert clean["redis"]["pullers"] == []
        assert messy["redis"] == clean["redis"]
    else:
        own = {k: v for k, v in clean["redis"].items() if k.startswith("ut:")}
        assert {k: v for k, v in messy["redis"].items() if k.startswith("ut:")} == own
