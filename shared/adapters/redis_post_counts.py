"""Post counts for list pages, cached in Redis for a few seconds (ports.PostCounter).

A followers page shows 100 people with their post counts. The truth is one Firestore counter
document per author (firestore_author_stats), and one ``get_all`` of 100 of them costs ~26 ms
and ~13 ms of this process's CPU (decoding 100 snapshots): the largest part of the page
(docs/graph.md, "Lists"). The same popular accounts appear in many people's lists, so their
counts are kept here as ``pn:{uid}`` for ``ttl_s`` seconds; a page then reads them with one
pipeline and asks the store only for the ones missing.

A count shown in a list may be up to ``ttl_s`` old, as on every large platform; a profile read
(one person) still asks the store, so the count on your own profile is exact at once. Redis
unreachable: the page asks the store for every count, as before the cache (a cache never fails a
page).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import redis

from shared.adapters import redis_keys as keys
from shared.ports import PostCounter

log = logging.getLogger(__name__)


class CachedListPostCounts:
    def __init__(self, client: redis.Redis[bytes], store: PostCounter, ttl_s: int) -> None:
        self.r = client
        self.store = store
        self.ttl_s = ttl_s

    def count_user_posts(self, author_id: str) -> int:
        return self.store.count_user_posts(author_id)

    def count_user_posts_many(self, author_ids: Sequence[str]) -> dict[str, int]:
        unique = list(dict.fromkeys(author_ids))
        if not unique or self.ttl_s <= 0:
            return self.store.count_user_posts_many(unique)
        try:
            pipe = self.r.pipeline(transaction=False)
            for a in unique:
                pipe.get(keys.list_post_count(a))
            got = pipe.execute()
        except redis.RedisError:
            log.warning("list post counts: Redis unreadable, asking the store", exc_info=True)
            return self.store.count_user_posts_many(unique)
        found = {a: int(v) for a, v in zip(unique, got, strict=True) if v is not None}
        missing = [a for a in unique if a not in found]
        if missing:
            fresh = self.store.count_user_posts_many(missing)
            found.update(fresh)
            try:
                pipe = self.r.pipeline(transaction=False)
                for a, n in fresh.items():
                    pipe.set(keys.list_post_count(a), n, ex=self.ttl_s)
                pipe.execute()
            except redis.RedisError:
                log.warning("list post counts: not cached", exc_info=True)
        return {a: found[a] for a in unique}
