"""Fixtures for the search tests: the real OpenSearch (a fresh index prefix per test), the
Firestore emulator as the post store, the real Redis for trend counters and profile cards."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import flask
import pytest
import redis as redis_lib
from google.cloud import firestore

from shared import events, ids
from shared.adapters.firestore_posts import FirestorePosts
from shared.adapters.opensearch_search import OpenSearchIndex, opensearch_client
from shared.adapters.redis_cards import RedisProfileCards
from shared.adapters.redis_trends import RedisTrends
from shared.bootstrap import HTTP_FUNCTIONS, Container
from shared.config import Settings
from shared.domain import facets
from shared.domain.model import Post, User
from shared.usecases.search import SearchIndexer, SearchService
from tests.identity import identity_headers
from tests.posts.conftest import db  # noqa: F401  (fixture: a wiped Firestore per test)

app = flask.Flask(__name__)


class People:
    """The slice of the graph the search reads (get_users, get_user_by_handle), in memory:
    registration into the real graph is the users tests' business."""

    def __init__(self) -> None:
        self.by_id: dict[str, User] = {}

    def add(self, user: User) -> None:
        self.by_id[user.id] = user

    def get_users(self, ids_: Iterable[str]) -> dict[str, User]:
        return {u: self.by_id[u] for u in ids_ if u in self.by_id}

    def get_user_by_handle(self, handle: str) -> User | None:
        return next((u for u in self.by_id.values() if u.handle.lower() == handle.lower()), None)


@dataclasses.dataclass
class Search:
    index: OpenSearchIndex
    store: FirestorePosts
    r: redis_lib.Redis[bytes]
    trends: RedisTrends
    people: People
    container: Container
    indexer: SearchIndexer
    service: SearchService

    def register(self, uid: str, handle: str, name: str | None = None) -> User:
        user = User(uid, handle, name or handle.title())
        self.people.add(user)
        self.index.index_users([user])
        return user

    def post(self, author: str, text: str, *, deliver: int = 1) -> tuple[Post, events.PostCreated]:
        post, event, _ = self.store.create_post(
            author, text, None, ids.new_id(), hashtags=facets.hashtags(text)
        )
        for _ in range(deliver):
            self.indexer.handle(event)
        return post, event

    def delete(self, post: Post) -> events.PostDeleted:
        done = self.store.delete_post_once(post.id)
        assert done is not None
        self.indexer.handle(done[0])
        return done[0]

    def get(self, path: str, uid: str = "reader") -> tuple[int, Any]:
        router = HTTP_FUNCTIONS["search"](self.container)
        with app.test_request_context(path, method="GET", headers=identity_headers(uid)):
            resp = router.dispatch(flask.request)
        return resp.status_code, resp.get_json()

    def ids(self, path: str) -> list[str]:
        self.index.refresh()
        status, body = self.get(path)
        assert status == 200, body
        return [p["id"] for p in body["items"]]


@pytest.fixture
def search(
    opensearch_url: str,
    redis_url: str,
    db: firestore.Client,  # noqa: F811
) -> Iterator[Search]:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    index = OpenSearchIndex(opensearch_client(opensearch_url), prefix)
    index.ensure_index()
    r: redis_lib.Redis[bytes] = redis_lib.Redis.from_url(redis_url)
    r.flushdb()
    store = FirestorePosts(db)
    people = People()
    counter = RedisTrends(r)
    c = Container(
        Settings(), search_index=index, trend_counter=counter, posts=store, graph=people,
        profile_cards=RedisProfileCards(r),
        # blocks, mutes and suspensions in search are tests/safety's (they need Neo4j)
        silencing=None, suspensions=None,
    )  # fmt: skip
    yield Search(index, store, r, counter, people, c, c.search_indexer, c.search_service)
    client = opensearch_client(opensearch_url)
    client.indices.delete(index=f"{prefix}-*")
    r.close()
