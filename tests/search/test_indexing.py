"""The search indexer on the real OpenSearch: idempotent, ordered, rebuildable (issue 22)."""

from __future__ import annotations

from typing import Any

import pytest

from shared import events, ids
from tests.search.conftest import Search

pytestmark = pytest.mark.integration


def _docs(s: Search, post_id: int) -> list[dict[str, Any]]:
    s.index.refresh()
    client = s.index._os
    hits = client.search(
        index=s.index.posts_index,
        body={"query": {"ids": {"values": [str(post_id)]}}, "version": True},
    )["hits"]["hits"]
    return list(hits)


def test_three_deliveries_make_one_document(search: Search) -> None:
    post, _ = search.post("alice", "hello #World, the first post", deliver=3)
    (doc,) = _docs(search, post.id)
    assert doc["_version"] == 1
    assert doc["_source"]["hashtags"] == ["world"]
    assert search.index.count_live() == 1


def test_a_late_create_never_resurrects_a_deleted_post(search: Search) -> None:
    post, created = search.post("alice", "soon gone #oops")
    search.delete(post)
    # The create redelivered after its delete (push order, a replay): refused by the version.
    search.indexer.handle(created)
    search.indexer.handle(created)
    (doc,) = _docs(search, post.id)
    assert doc["_source"]["deleted"] is True
    assert "text" not in doc["_source"]
    assert search.ids("/v1/search/posts?q=gone") == []
    assert search.ids("/v1/hashtags/oops/posts") == []


def test_a_create_arriving_after_the_delete_indexes_a_tombstone(search: Search) -> None:
    post, created = search.store.create_post("bob", "never seen", None, ids.new_id())[:2]
    done = search.store.delete_post_once(post.id)
    assert done is not None
    search.indexer.handle(created)  # the store says deleted: a tombstone, not the text
    search.indexer.handle(done[0])
    (doc,) = _docs(search, post.id)
    assert doc["_source"]["deleted"] is True


def test_forged_events_index_nothing(search: Search) -> None:
    now = ids.now_ms()
    forged = events.PostCreated(
        event_id="forged", occurred_ms=now, post_id=str(ids.new_id()), author_id="mallory",
        text="a post nobody wrote", created_ms=now,
    )  # fmt: skip
    search.indexer.handle(forged)
    real, _ = search.post("alice", "the real one")
    wrong_author = events.PostDeleted(
        event_id="forged-del", occurred_ms=now, post_id=str(real.id), author_id="mallory",
        created_ms=real.created_ms,
    )  # fmt: skip
    search.indexer.handle(wrong_author)
    search.index.refresh()
    assert search.index.count_live() == 1
    assert search.ids("/v1/search/posts?q=real") == [str(real.id)]


def test_drop_the_index_and_rebuild_from_the_event_log_misses_nothing(search: Search) -> None:
    live = [search.post(f"u{i % 7}", f"post number {i} #batch{i % 3}")[0] for i in range(60)]
    gone = live[::10]
    for p in gone:
        search.delete(p)
    expected = {p.id for p in live} - {p.id for p in gone}
    search.index.drop_index()
    written = list(search.indexer.rebuild(search.store, batch_size=25))
    # One write per post a batch names (a create and its delete in one batch: one tombstone).
    assert len(live) <= written[-1] <= len(live) + len(gone)
    search.index.refresh()
    assert search.index.count_live() == len(expected)
    found: set[int] = set()
    cursor = ""
    while True:
        status, body = search.get(f"/v1/search/posts?q=post&sort=newest&limit=50&cursor={cursor}")
        assert status == 200, body
        found |= {int(p["id"]) for p in body["items"]}
        if not body["next_cursor"]:
            break
        cursor = body["next_cursor"]
    assert found == expected, f"missing {len(expected - found)}, deleted back {found & set(gone)}"


def test_a_sealed_event_from_post_events_is_opened_and_indexed(search: Search) -> None:
    """post-events carries sealed PostCreated (issue 23): the search_indexer function, as
    bootstrap builds it, opens them (never dead-letters them) and indexes the stored post."""
    import base64

    from shared.adapters import kms
    from shared.adapters.data_keys import FirestoreDataKeys
    from shared.adapters.firestore_posts import FirestorePosts
    from shared.bootstrap import EVENT_FUNCTIONS
    from shared.domain import facets
    from tests.conftest import PROJECT_ID

    keys = FirestoreDataKeys(search.store._db, kms.LocalKeyWrapper(PROJECT_ID))
    sealed_store = FirestorePosts(search.store._db, keys=lambda: keys)
    text = "a sealed secret #Sealed"
    post, event, _ = sealed_store.create_post(
        "sealer", text, None, ids.new_id(), hashtags=facets.hashtags(text)
    )
    assert getattr(event, "sealed", None) is not None
    dead: list[bytes] = []

    class Dead:
        def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None:
            dead.append(data)

    c = search.container
    c.__dict__["data_keys"] = keys
    c.__dict__["publisher"] = Dead()
    data, attrs = events.encode(event)
    msg = {"data": base64.b64encode(data).decode(), "attributes": attrs, "messageId": "1"}
    EVENT_FUNCTIONS["search_indexer"](c)({"data": {"message": msg}})
    assert dead == []
    assert search.ids("/v1/hashtags/sealed/posts") == [str(post.id)]
