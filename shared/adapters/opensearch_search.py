"""The search index on OpenSearch: posts (full text, hashtags) and users (typeahead).

The only module importing ``opensearch``. Queries are built from parsed parts
(shared.domain.search.PostQuery) as ``match`` / ``match_phrase`` / ``term`` clauses: no user
text is ever a query string, a wildcard or a regular expression.

Ordering of writes: every post document carries an external version, ``CREATE_VERSION`` for
what a PostCreated wrote and ``TOMBSTONE_VERSION`` for a deletion, written with
``version_type=external_gte``. A redelivered create rewrites the same document (same id, same
version: one document); a tombstone outranks every create, so a create arriving after its
delete (a redelivery, a replay, push order) is refused by the engine itself (409) and the
post stays deleted. Tombstones are documents, not deletes: a real delete forgets its version
after ``index.gc_deletes`` (60 s), and a replay from the 31-day topic must still lose to it.
(Edits, when they exist, take ``CREATE_VERSION + edit number``.)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import ConnectionTimeout, NotFoundError, TransportError

from shared.domain import errors
from shared.domain.model import User
from shared.domain.search import PostQuery
from shared.ports import IndexedPost, SearchPage

log = logging.getLogger(__name__)

CREATE_VERSION = 1
TOMBSTONE_VERSION = 2**62
SEARCH_TIMEOUT = "2s"  # the engine stops collecting and answers what it has
REQUEST_TIMEOUT_S = 5.0

_FOLDED = {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}

POSTS_INDEX_BODY: dict[str, Any] = {
    "settings": {
        "index": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s",
                  "max_result_window": 1000},
        "analysis": {"analyzer": {"folded": _FOLDED}},
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "post_id": {"type": "long"},
            "author_id": {"type": "keyword"},
            # English stemming for relevance ("running" finds "run"), and a folded, unstemmed
            # copy for typo tolerance and other languages.
            "text": {"type": "text", "analyzer": "english",
                     "fields": {"plain": {"type": "text", "analyzer": "folded"}}},
            "hashtags": {"type": "keyword"},
            "mentions": {"type": "keyword"},
            "created_ms": {"type": "long"},
            "deleted": {"type": "boolean"},
        },
    },
}  # fmt: skip

USERS_INDEX_BODY: dict[str, Any] = {
    "settings": {
        "index": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s",
                  "max_result_window": 1000},
        "analysis": {
            "filter": {"edge": {"type": "edge_ngram", "min_gram": 1, "max_gram": 30}},
            "analyzer": {
                "prefix": {"type": "custom", "tokenizer": "standard",
                           "filter": ["lowercase", "asciifolding", "edge"]},
                "folded": _FOLDED,
            },
            "normalizer": {"lc": {"type": "custom", "filter": ["lowercase"]}},
        },
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "handle": {"type": "keyword", "normalizer": "lc",
                       "fields": {"prefix": {"type": "text", "analyzer": "prefix",
                                             "search_analyzer": "folded"}}},
            "display_name": {"type": "text", "analyzer": "prefix", "search_analyzer": "folded"},
            "created_ms": {"type": "long"},
        },
    },
}  # fmt: skip


# Connections kept open to the engine. The client's default keeps one: a function instance
# serving its concurrent requests (THREADS) opened a new connection for each request beyond the
# first and closed it after ("Connection pool is full, discarding connection" in its log).
POOL_MAXSIZE = 32


def opensearch_client(url: str, *, timeout_s: float = REQUEST_TIMEOUT_S) -> OpenSearch:
    return OpenSearch(
        hosts=[url], timeout=timeout_s, max_retries=1, retry_on_timeout=False,
        http_compress=False, pool_maxsize=POOL_MAXSIZE,
    )  # fmt: skip


def _unavailable(exc: Exception) -> errors.Unavailable:
    return errors.Unavailable("search is unavailable; try again shortly", details=str(exc)[:200])


class OpenSearchIndex:
    """ports.PostSearchIndex and ports.PeopleIndex on one client."""

    def __init__(
        self, client: OpenSearch, prefix: str = "kwetter", *, shards: int = 1, replicas: int = 0
    ) -> None:
        self._os = client
        self._index_settings = {"number_of_shards": shards, "number_of_replicas": replicas}
        self.posts_index = f"{prefix}-posts"
        self.users_index = f"{prefix}-users"

    # ---- administration ---------------------------------------------------------------------

    def ensure_index(self) -> None:
        for name, body in ((self.posts_index, POSTS_INDEX_BODY),
                           (self.users_index, USERS_INDEX_BODY)):  # fmt: skip
            if not self._os.indices.exists(index=name):
                settings = {**body["settings"], "index": {**body["settings"]["index"],
                                                          **self._index_settings}}  # fmt: skip
                try:
                    self._os.indices.create(index=name, body={**body, "settings": settings})
                except TransportError as exc:  # created meanwhile by another instance
                    if "resource_already_exists" not in str(exc):
                        raise

    def drop_index(self) -> None:
        self._os.indices.delete(index=self.posts_index, ignore_unavailable=True)

    def refresh(self) -> None:
        """Make every write so far searchable now (tests, benchmarks; the index refreshes
        itself every second)."""
        self._os.indices.refresh(index=f"{self.posts_index},{self.users_index}")

    def count_live(self) -> int:
        body = {"query": {"term": {"deleted": False}}}
        return int(self._os.count(index=self.posts_index, body=body)["count"])

    # ---- writes -----------------------------------------------------------------------------

    def _bulk(self, lines: list[dict[str, Any]], *, retried: bool = False) -> None:
        if not lines:
            return
        resp = self._os.bulk(body=lines)
        if not resp.get("errors"):
            return
        missing = any(
            "index_not_found" in str(r.get("error", "")) for i in resp["items"] for r in i.values()
        )
        if missing and not retried:  # a fresh cluster (or a dropped index): create, write again
            self.ensure_index()
            self._bulk(lines, retried=True)
            return
        failed = []
        for item in resp["items"]:
            (result,) = item.values()
            status = int(result.get("status", 500))
            if status >= 300 and status != 409:  # 409: an equal or newer version is there
                failed.append(result)
        if failed:
            raise RuntimeError(f"{len(failed)} search index writes failed: {failed[:3]}")

    def index_posts(self, posts: Sequence[IndexedPost]) -> None:
        lines: list[dict[str, Any]] = []
        for p in posts:
            lines.append({"index": {"_index": self.posts_index, "_id": str(p.id),
                                    "version": CREATE_VERSION,
                                    "version_type": "external_gte"}})  # fmt: skip
            lines.append({
                "post_id": p.id, "author_id": p.author_id, "text": p.text,
                "hashtags": list(p.hashtags), "mentions": list(p.mentions),
                "created_ms": p.created_ms, "deleted": False,
            })  # fmt: skip
        self._bulk(lines)

    def tombstone_posts(self, posts: Sequence[tuple[int, str, int]]) -> None:
        lines: list[dict[str, Any]] = []
        for post_id, author_id, created_ms in posts:
            lines.append({"index": {"_index": self.posts_index, "_id": str(post_id),
                                    "version": TOMBSTONE_VERSION,
                                    "version_type": "external_gte"}})  # fmt: skip
            lines.append({"post_id": post_id, "author_id": author_id,
                          "created_ms": created_ms, "deleted": True})  # fmt: skip
        self._bulk(lines)

    def index_users(self, users: Sequence[User]) -> None:
        lines: list[dict[str, Any]] = []
        for u in users:
            lines.append({"index": {"_index": self.users_index, "_id": u.id}})
            lines.append({"handle": u.handle, "display_name": u.display_name,
                          "created_ms": u.created_ms})  # fmt: skip
        self._bulk(lines)

    # ---- reads ------------------------------------------------------------------------------

    def _search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            resp: dict[str, Any] = self._os.search(index=index, body=body)
        except (OSConnectionError, ConnectionTimeout) as exc:
            raise _unavailable(exc) from exc
        except NotFoundError:
            return {"hits": {"hits": []}}
        except TransportError as exc:
            # A shard still starting (503 "all shards failed"), a full search queue (429): the
            # engine's to retry. Anything else it refused was built from the caller's query.
            status = exc.status_code if isinstance(exc.status_code, int) else 503
            if status == 429 or status >= 500 or "closed" in str(exc.error):
                raise _unavailable(exc) from exc
            raise errors.InvalidInput("the search engine refused this query") from exc
        return resp

    def live_tag_accounts(self, tags: Sequence[str], since_ms: int) -> dict[str, int]:
        """Distinct authors of live posts per tag since ``since_ms`` (one aggregation; exact
        below the cardinality's precision threshold, which trends never come near)."""
        body = {
            "size": 0,
            "timeout": SEARCH_TIMEOUT,
            "query": {"bool": {"filter": [
                {"term": {"deleted": False}},
                {"terms": {"hashtags": list(tags)}},
                {"range": {"created_ms": {"gte": since_ms}}},
            ]}},
            "aggs": {"tags": {
                "terms": {"field": "hashtags", "include": list(tags), "size": len(tags)},
                "aggs": {"accounts": {"cardinality": {"field": "author_id",
                                                      "precision_threshold": 3000}}},
            }},
        }  # fmt: skip
        resp = self._search(self.posts_index, body)
        buckets = resp.get("aggregations", {}).get("tags", {}).get("buckets", [])
        found = {str(b["key"]): int(b["accounts"]["value"]) for b in buckets}
        return {t: found.get(t, 0) for t in tags}

    def _page(self, body: dict[str, Any], limit: int) -> SearchPage:
        # One more than asked: whether there is a next page without a count.
        body["size"] = limit + 1
        body["_source"] = False
        body["timeout"] = SEARCH_TIMEOUT
        body["track_total_hits"] = False
        hits = self._search(self.posts_index, body)["hits"]["hits"]
        page = hits[:limit]
        ids = [int(h["_id"]) for h in page]
        after = list(page[-1]["sort"]) if len(hits) > limit and page else None
        return SearchPage(ids, after)

    def search_posts(
        self,
        query: PostQuery,
        author_id: str | None,
        limit: int,
        after: Sequence[float | int] | None,
    ) -> SearchPage:
        must: list[dict[str, Any]] = []
        if query.words:
            words = " ".join(query.words)
            must.append({"bool": {"should": [
                {"match": {"text": {"query": words, "operator": "and"}}},
                {"match": {"text.plain": {"query": words, "operator": "and",
                                          "fuzziness": "AUTO", "prefix_length": 1,
                                          "max_expansions": 20}}},
            ], "minimum_should_match": 1}})  # fmt: skip
        for phrase in query.phrases:
            must.append({"match_phrase": {"text.plain": {"query": phrase}}})
        flt: list[dict[str, Any]] = [{"term": {"deleted": False}}]
        flt.extend({"term": {"hashtags": t}} for t in query.tags)
        if author_id is not None:
            flt.append({"term": {"author_id": author_id}})
        body: dict[str, Any] = {"query": {"bool": {"must": must, "filter": flt}}}
        if query.sort == "newest" or not query.has_text:
            body["sort"] = [{"post_id": "desc"}]
        else:
            body["sort"] = [{"_score": "desc"}, {"post_id": "desc"}]
        if after is not None:
            body["search_after"] = list(after)
        return self._page(body, limit)

    def tag_posts(self, tag: str, limit: int, after: Sequence[float | int] | None) -> SearchPage:
        flt = [{"term": {"deleted": False}}, {"term": {"hashtags": tag}}]
        body: dict[str, Any] = {"query": {"bool": {"filter": flt}}, "sort": [{"post_id": "desc"}]}
        if after is not None:
            body["search_after"] = list(after)
        return self._page(body, limit)

    def search_users(self, prefix: str, limit: int) -> list[str]:
        body = {
            "size": limit, "_source": False, "timeout": SEARCH_TIMEOUT,
            "query": {"bool": {"should": [
                {"term": {"handle": {"value": prefix, "boost": 10}}},
                {"match": {"handle.prefix": {"query": prefix, "boost": 3}}},
                {"match": {"display_name": {"query": prefix, "operator": "and"}}},
            ], "minimum_should_match": 1}},
            "sort": [{"_score": "desc"}, {"created_ms": "asc"}],
        }  # fmt: skip
        hits = self._search(self.users_index, body)["hits"]["hits"]
        return [str(h["_id"]) for h in hits]

    def uid_of_handle(self, handle: str) -> str | None:
        body = {"size": 1, "_source": False, "query": {"term": {"handle": handle}}}
        hits = self._search(self.users_index, body)["hits"]["hits"]
        return str(hits[0]["_id"]) if hits else None
