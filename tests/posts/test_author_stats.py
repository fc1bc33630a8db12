"""The per-author post counter (shared/adapters/firestore_author_stats.py) on the Firestore
emulator: exact through retries and deletes, backfilled serializably for authors whose posts
predate it, one read for a page of authors."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from google.cloud import firestore

from shared import ids
from shared.adapters.firestore_author_stats import AUTHOR_STATS
from shared.adapters.firestore_posts import FirestorePosts

pytestmark = pytest.mark.integration


def truth(store: FirestorePosts, author: str) -> int:
    """The aggregation the counter stands in for."""
    result = store._live_posts_of(author).count(alias="n").get()
    return int(result[0][0].value)


def stats_doc(db: firestore.Client, author: str) -> dict[str, object] | None:
    data: dict[str, object] | None = db.collection(AUTHOR_STATS).document(author).get().to_dict()
    return data


def test_counter_follows_creates_retries_and_deletes(
    store: FirestorePosts, db: firestore.Client
) -> None:
    made = [store.create_post("carol", f"p{i}", "key-0" if i == 0 else None, ids.new_id())[0]
            for i in range(5)]  # fmt: skip
    # A retried create (same Idempotency-Key) and a second delete of the same post count nothing.
    store.create_post("carol", "p0", "key-0", ids.new_id())
    store.delete_post_once(made[1].id)
    store.delete_post_once(made[1].id)
    assert stats_doc(db, "carol") == {"posts": 4}  # maintained, not yet marked counted
    assert store.count_user_posts("carol") == 4 == truth(store, "carol")
    assert stats_doc(db, "carol") == {"posts": 4, "counted": True}
    store.delete_post_once(made[2].id)
    store.create_post("carol", "again", None, ids.new_id())
    assert store.count_user_posts_many(["carol", "nobody", "carol"]) == {"carol": 4, "nobody": 0}
    assert truth(store, "carol") == 4


def test_backfill_counts_posts_written_before_the_counter(
    store: FirestorePosts, db: firestore.Client
) -> None:
    for i in range(4):
        store.create_post("legacy", f"old {i}", None, ids.new_id())
    store.create_post("half", "old", None, ids.new_id())
    # What a store from before the counter looks like: no document at all for "legacy", and an
    # increment-only document (a post written while the counter was being rolled out) for "half".
    db.collection(AUTHOR_STATS).document("legacy").delete()
    db.collection(AUTHOR_STATS).document("half").set({"posts": 7})
    assert store.count_user_posts_many(["legacy", "half"]) == {"legacy": 4, "half": 1}
    assert stats_doc(db, "legacy") == {"posts": 4, "counted": True}
    assert stats_doc(db, "half") == {"posts": 1, "counted": True}


def test_backfill_racing_with_writers_misses_and_doubles_nothing(
    store: FirestorePosts, db: firestore.Client
) -> None:
    for i in range(10):
        store.create_post("racer", f"before {i}", None, ids.new_id())
    db.collection(AUTHOR_STATS).document("racer").delete()  # a legacy author
    victims = [store.create_post("racer", f"victim {i}", None, ids.new_id())[0] for i in range(5)]
    db.collection(AUTHOR_STATS).document("racer").delete()
    start = threading.Barrier(3)

    def writer() -> None:
        start.wait()
        for i in range(8):
            store.create_post("racer", f"during {i}", None, ids.new_id())

    def deleter() -> None:
        start.wait()
        for post in victims:
            store.delete_post_once(post.id)

    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(writer), pool.submit(deleter)]
        start.wait()
        counts = [store._stats.backfill("racer") for _ in range(5)]
        for job in jobs:
            job.result()
    assert all(0 <= n <= 23 for n in counts)
    assert store.count_user_posts("racer") == truth(store, "racer") == 10 + 8
