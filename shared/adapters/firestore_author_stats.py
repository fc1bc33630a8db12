"""Each author's live post count, kept in one small document so a page of 100 profiles is one read.

``author_stats/{author_id}``: ``{"posts": n, "counted": true}``. Why a counter document, when a
count() aggregation over the read model is the truth: a followers page shows 100 profiles, and
100 aggregations cost ~1 s at p99 through the gateway (docs/graph.md), where one ``get_all`` of
100 small documents costs one round trip.

How it stays exact:

- The post's create batch and delete transaction carry ``Increment(+1)`` / ``Increment(-1)``
  on the author's document (written with the post, atomically, so a retried create — refused
  by its "must not exist" precondition — or a delete that finds the post deleted already counts
  nothing twice). One author writes at the rate their post limit allows, far under Firestore's
  sustained write rate per document.
- Authors whose posts predate the counter have no ``counted`` flag. The first read of such an
  author counts their live posts with an aggregation *inside a transaction* that also reads the
  counter document and then overwrites it. Every create and delete writes that document, so a
  post committed while the backfill counts conflicts with the transaction (Firestore
  transactions are serializable: one of the two waits or retries) — no post is counted twice
  or missed. After that the author's document is read like everyone else's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

AUTHOR_STATS = "author_stats"
BACKFILLS_IN_FLIGHT = 8
BACKFILL_ATTEMPTS = 6


class AuthorStats:
    def __init__(
        self, client: firestore.Client, live_posts_of: Callable[[str], firestore.Query]
    ) -> None:
        self._db = client
        self._live_posts_of = live_posts_of

    def ref(self, author_id: str) -> firestore.DocumentReference:
        return self._db.collection(AUTHOR_STATS).document(author_id)

    def count_in(self, writes: Any, author_id: str, delta: int) -> None:
        """Add ``delta`` to the author's count in ``writes`` (a batch or a transaction)."""
        writes.set(self.ref(author_id), {"posts": firestore.Increment(delta)}, merge=True)

    def counts(self, author_ids: Sequence[str]) -> dict[str, int]:
        """Live post counts by author id: one ``get_all``, plus a backfill for authors not yet
        counted (each once in their lifetime)."""
        unique = list(dict.fromkeys(author_ids))
        if not unique:
            return {}
        found: dict[str, int] = {}
        for snap in self._db.get_all([self.ref(a) for a in unique]):
            data = snap.to_dict() if snap.exists else None
            if data and data.get("counted"):
                found[snap.id] = max(0, int(data.get("posts", 0)))
        missing = [a for a in unique if a not in found]
        if missing:
            workers = min(BACKFILLS_IN_FLIGHT, len(missing))
            with ThreadPoolExecutor(workers, thread_name_prefix="post-count") as pool:
                found.update(zip(missing, pool.map(self.backfill, missing), strict=True))
        return {a: found[a] for a in unique}

    def backfill(self, author_id: str) -> int:
        """Count the author's live posts and store the count, serializably (module docstring)."""
        ref = self.ref(author_id)
        query = self._live_posts_of(author_id).count(alias="n")

        @firestore.transactional  # type: ignore[untyped-decorator]
        def run(tx: firestore.Transaction) -> int:
            snap = ref.get(transaction=tx)
            data = snap.to_dict() if snap.exists else None
            if data and data.get("counted"):  # counted by a concurrent reader meanwhile
                return max(0, int(data.get("posts", 0)))
            result = query.get(transaction=tx)
            n = int(result[0][0].value) if result and result[0] else 0
            tx.set(ref, {"posts": n, "counted": True})
            return n

        # A read inside the transaction that loses a lock race is aborted as well (the
        # decorator only retries its commit): nothing was written, so start it over.
        for attempt in range(BACKFILL_ATTEMPTS):
            try:
                counted: int = run(self._db.transaction())
                return counted
            except gexc.Aborted:
                if attempt == BACKFILL_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")
