"""FirestorePosts against the real Firestore emulator (and the posts rules applied to it)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from google.cloud import firestore

from shared import events, ids
from shared.adapters.firestore_posts import EVENTS, USERS, FirestorePosts
from shared.domain import errors
from shared.usecases.posts import PostsService

pytestmark = pytest.mark.integration


class NoPublisher:
    def publish(self, topic: str, event: events._Event) -> None:
        pass


def test_create_writes_event_read_model_and_nothing_is_published(store: FirestorePosts) -> None:
    pid = ids.new_id()
    post, event, created = store.create_post("alice", "hello", None, pid, trace_id="abc123")
    assert created and post.id == pid and post.created_ms == ids.timestamp_ms(pid)
    assert event.post_id == str(pid) and event.text == "hello" and event.trace_id == "abc123"
    assert store.get_post(pid) == post
    assert store.unpublished_events(10) == [event]
    store.mark_published([event])
    assert store.unpublished_events(10) == []


def test_50_concurrent_identical_creates_give_one_post(store: FirestorePosts) -> None:
    def create(_: int) -> tuple[int, bool]:
        post, _event, created = store.create_post("alice", "once", "key-1", ids.new_id())
        return post.id, created

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(create, range(50)))
    assert len({post_id for post_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert store.count_user_posts("alice") == 1
    assert len(store.list_user_posts("alice", 100)) == 1
    assert len(list(store.iter_events())) == 1  # one PostCreated in the log, not 50


def test_idempotency_key_is_per_author_and_checks_the_text(store: FirestorePosts) -> None:
    a, _, _ = store.create_post("alice", "hi", "k", ids.new_id())
    b, _, created = store.create_post("bob", "hi", "k", ids.new_id())
    assert created and a.id != b.id
    again, event, created = store.create_post("alice", "hi", "k", ids.new_id())
    assert not created and again == a and event.post_id == str(a.id)
    # The store answers with the first request's post; the rule refuses other text.
    other, _, created = store.create_post("alice", "something else", "k", ids.new_id())
    assert not created and other == a
    with pytest.raises(errors.ValidationFailed):
        PostsService(store, NoPublisher()).create("alice", "something else", "k")


def test_delete_authorization_and_idempotency(store: FirestorePosts) -> None:
    posts = PostsService(store, NoPublisher())
    post, _, _ = store.create_post("alice", "mine", None, ids.new_id())
    with pytest.raises(errors.NotFound):
        posts.delete("alice", ids.new_id())
    assert store.delete_post_once(ids.new_id()) is None
    with pytest.raises(errors.PermissionDenied):
        posts.delete("bob", post.id)
    result = store.delete_post_once(post.id)
    assert result is not None
    deleted, now = result
    assert now and deleted.post_id == str(post.id) and deleted.created_ms == post.created_ms
    assert store.delete_post_once(post.id) == (deleted, False)  # same event, nothing appended
    posts.delete("alice", post.id)  # and for its author deleting again is fine
    with pytest.raises(errors.NotFound):  # for anyone else a deleted post is simply gone
        posts.delete("bob", post.id)
    tomb = store.get_post(post.id)
    assert tomb is not None and tomb.deleted and tomb.text == ""
    assert store.get_posts([post.id]) == {post.id: tomb}
    assert store.list_user_posts("alice", 10) == []
    assert store.count_user_posts("alice") == 0
    assert [e.type for e in store.iter_events()] == ["PostCreated", "PostDeleted"]


def test_list_user_posts_pages_newest_first_with_before(store: FirestorePosts) -> None:
    made = [store.create_post("alice", f"p{i}", None, ids.new_id())[0] for i in range(7)]
    store.create_post("bob", "not alice", None, ids.new_id())
    store.delete_post_once(made[3].id)
    live = [p for p in reversed(made) if p.id != made[3].id]
    page1 = store.list_user_posts("alice", 4)
    assert page1 == live[:4]
    page2 = store.list_user_posts("alice", 4, before=page1[-1].id)
    assert page2 == live[4:]
    assert store.list_user_posts("alice", 4, before=page2[-1].id) == []
    assert store.list_user_posts("alice", 0) == []
    assert store.count_user_posts("alice") == 6
    assert store.count_user_posts("nobody") == 0


def test_get_posts_is_one_batch_and_skips_unknown(store: FirestorePosts) -> None:
    a = store.create_post("alice", "a", None, ids.new_id())[0]
    b = store.create_post("bob", "b", None, ids.new_id())[0]
    assert store.get_posts([b.id, ids.new_id(), a.id, a.id]) == {a.id: a, b.id: b}
    assert store.get_posts([]) == {}


def test_iter_events_time_order_across_authors_and_range(
    store: FirestorePosts, db: firestore.Client
) -> None:
    made = []
    for i in range(12):
        made.append(store.create_post(f"user{i % 3}", f"t{i}", None, ids.new_id())[1])
        time.sleep(0.002)
    got = list(store.iter_events(page_size=5))  # several pages
    assert [e.event_id for e in got] == [e.event_id for e in made]
    lo, hi = made[3].occurred_ms, made[8].occurred_ms
    ranged = list(store.iter_events(lo, hi, page_size=2))
    assert ranged and all(lo <= e.occurred_ms < hi for e in ranged)
    assert {e.event_id for e in ranged} == {e.event_id for e in made if lo <= e.occurred_ms < hi}
    assert store.count_events(lo, hi) == len(ranged)
    # The log lives under each author.
    snap = db.collection(USERS).document("user0").collection(EVENTS).get()
    assert len(snap) == 4


def test_unpublished_respects_age_and_order(store: FirestorePosts) -> None:
    first = store.create_post("alice", "one", None, ids.new_id())[1]
    time.sleep(0.01)
    second = store.create_post("bob", "two", None, ids.new_id())[1]
    assert store.unpublished_events(10) == [first, second]
    assert store.unpublished_events(1) == [first]
    assert store.unpublished_events(10, older_than_ms=second.occurred_ms) == [first]


def test_events_round_trip_the_schema(store: FirestorePosts) -> None:
    _, created, _ = store.create_post("alice", "caf\u00e9 \U0001f600", None, ids.new_id())
    (stored,) = list(store.iter_events())
    assert isinstance(stored, events.PostCreated) and stored == created
    data, attrs = events.encode(stored)
    assert events.decode(data) == created and attrs["version"] == "1"
