"""Search, hashtags and trends (issue 22; docs/search.md).

``SearchIndexer`` is the consumer of post-events that keeps the index and the trend counters:
the post store is the authority (as for the fan-out planner), so an event only says *which*
post to look at; what is indexed is what the store holds. Deleted (or deleted since) means a
tombstone. Rebuilding is the same path in bulk over the event log.

``SearchService`` answers the read routes: the index gives ids in order, the post store the
posts (a post deleted after its last indexing is dropped there too), profile cards the
authors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence

from shared import events, ids
from shared.domain import errors, facets, trends
from shared.domain import search as domain
from shared.domain.model import Post, User
from shared.domain.safety import hidden_everywhere, hidden_from_home
from shared.iters import chunked
from shared.ports import (
    EventLog,
    IndexedPost,
    PeopleIndex,
    PeopleLookup,
    PostSearchIndex,
    PostStore,
    ProfileCards,
    RelationFlags,
    SearchPage,
    SuspendedAmong,
    TrendCounter,
)

log = logging.getLogger(__name__)

TRENDS_CACHE_S = 30.0


def indexed_text(post: Post) -> str:
    """The one place that reads a post's text for the index and the trends. (If post payloads
    are ever encrypted at rest, issue 23, decrypting for the index happens here.)"""
    return post.text


def _indexed(post: Post) -> IndexedPost:
    text = indexed_text(post)
    tags = post.hashtags or tuple(facets.hashtags(text))  # posts from before hashtags existed
    return IndexedPost(post.id, post.author_id, text, post.created_ms, tuple(tags))


class SearchIndexer:
    def __init__(
        self, index: PostSearchIndex, posts: PostStore, counter: TrendCounter | None = None
    ) -> None:
        self.index = index
        self.posts = posts
        self.counter = counter
        self._ready = False
        self._lock = threading.Lock()

    def _ensure(self) -> None:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self.index.ensure_index()
                    self._ready = True

    def handle(self, event: events.Event) -> None:
        if not isinstance(event, events.PostCreated | events.PostDeleted):
            return  # reposts and the rest of post-events: not searchable documents
        self.handle_many([event])

    def handle_many(self, batch: Sequence[events.Event]) -> int:
        """Index what the store holds of the posts ``batch`` names; returns documents written."""
        self._ensure()
        named: dict[int, str] = {}
        for e in batch:
            if isinstance(e, events.PostCreated | events.PostDeleted):
                try:
                    named[ids.parse_id(e.post_id)] = e.author_id
                except ValueError:
                    continue
        if not named:
            return 0
        stored = self.posts.get_posts(list(named))
        live: list[IndexedPost] = []
        dead: list[tuple[int, str, int]] = []
        for pid, author in named.items():
            post = stored.get(pid)
            if post is None or post.author_id != author:
                log.warning(
                    "search_indexer drops post %s by %s: not in the post store", pid, author
                )
                continue
            if post.deleted:
                dead.append((pid, post.author_id, post.created_ms))
            else:
                live.append(_indexed(post))
        # Creates first, tombstones last: within one batch too a delete has the final word
        # (and across batches the versions see to it).
        self.index.index_posts(live)
        self.index.tombstone_posts(dead)
        if self.counter is not None:
            uses = [(p.author_id, p.created_ms, p.hashtags) for p in live if p.hashtags]
            if uses:
                self.counter.count(uses)
            gone = [(a, ms, stored[pid].hashtags) for pid, a, ms in dead if stored[pid].hashtags]
            if gone:
                self.counter.count_deleted(gone)
        return len(live) + len(dead)

    def rebuild(self, log_: EventLog, batch_size: int = 500) -> Iterator[int]:
        """Index every post the event log names, in bulk: after the index was dropped or lost.
        Yields the documents written so far after each batch (resumable, idempotent)."""
        self._ready = False
        self._ensure()
        done = 0
        for chunk in chunked(log_.iter_events(), batch_size):
            done += self.handle_many(list(chunk))
            yield done


class PeopleDirectory:
    """What the search reads of people: cards first (Redis), then the graph."""

    def __init__(self, cards: ProfileCards | None, graph: PeopleLookup) -> None:
        self.cards = cards
        self.graph = graph

    def users(self, uids: Sequence[str]) -> dict[str, User]:
        found: dict[str, User] = {}
        if self.cards is not None and uids:
            try:
                found = dict(self.cards.cards(list(uids)))
            except Exception:
                log.warning("profile cards unreadable; authors from the graph", exc_info=True)
        missing = [u for u in uids if u not in found]
        if missing:
            found.update(self.graph.get_users(missing))
        return found


class SearchService:
    def __init__(
        self,
        index: PostSearchIndex,
        people_index: PeopleIndex,
        posts: PostStore,
        people: PeopleDirectory,
        counter: TrendCounter,
        silencing: RelationFlags | None = None,
        suspensions: SuspendedAmong | None = None,
    ) -> None:
        # issue 21: results by someone the searcher blocks, mutes or is blocked by, or by a
        # suspended account, are left out (None: no such store, the search tests' fakes)
        self.silencing = silencing
        self.suspensions = suspensions
        self.index = index
        self.people_index = people_index
        self.posts = posts
        self.people = people
        self.counter = counter
        self._trends: tuple[float, list[trends.Trend]] | None = None
        self._trends_lock = threading.Lock()

    def _hydrate(
        self, page: SearchPage, kind: str, viewer: str | None = None
    ) -> tuple[list[tuple[Post, User | None]], str | None]:
        stored = self.posts.get_posts(page.ids)
        shown = [stored[i] for i in page.ids if i in stored and not stored[i].deleted]
        if viewer is not None:
            shown = self._visible_to(viewer, shown)
        authors = self.people.users(list(dict.fromkeys(p.author_id for p in shown)))
        cursor = domain.encode_cursor(kind, page.after) if page.after is not None else None
        return [(p, authors.get(p.author_id)) for p in shown], cursor

    def _visible_to(self, viewer: str, posts: list[Post]) -> list[Post]:
        """A page's posts less those whose author the viewer blocks, mutes or is blocked by,
        or who is suspended: one lookup of each kind for the whole page. A page may come out
        shorter than asked; its cursor still goes on from the engine's last hit."""
        names = {p.author_id for p in posts} - {viewer}
        if not names:
            return posts
        flags = self.silencing.flags(viewer, names) if self.silencing is not None else {}
        gone = self.suspensions.suspended_among(names) if self.suspensions is not None else set()
        return [
            p for p in posts
            if p.author_id == viewer
            or (p.author_id not in gone and not hidden_from_home(flags.get(p.author_id, "")))
        ]  # fmt: skip

    def search_posts(
        self,
        raw_q: str | None,
        sort: str | None,
        limit: int,
        cursor: str | None,
        viewer: str | None = None,
    ) -> tuple[list[tuple[Post, User | None]], str | None]:
        query = domain.parse_post_query(raw_q, sort)
        kind = "newest" if query.sort == "newest" or not query.has_text else "relevance"
        after = domain.decode_cursor(cursor, kind)
        author_id: str | None = None
        if query.from_handle is not None:
            user = self.people.graph.get_user_by_handle(query.from_handle)
            if user is None:
                return [], None
            author_id = user.id
        page = self.index.search_posts(query, author_id, limit, after)
        return self._hydrate(page, kind, viewer)

    def tag_posts(
        self, raw_tag: str, limit: int, cursor: str | None, viewer: str | None = None
    ) -> tuple[list[tuple[Post, User | None]], str | None]:
        tag = facets.normalize_tag(raw_tag)
        page = self.index.tag_posts(tag, limit, domain.decode_cursor(cursor, "tag"))
        return self._hydrate(page, "tag", viewer)

    def search_users(self, raw_q: str | None, limit: int, viewer: str | None = None) -> list[User]:
        """People by handle or name prefix; never someone the viewer blocks or is blocked by,
        nor a suspended account (issue 21: the mention typeahead uses it too). A mute changes
        nothing here. One lookup of each kind; the list may come out shorter than ``limit``."""
        prefix = domain.parse_prefix(raw_q)
        uids = self.people_index.search_users(prefix, limit)
        others = {u for u in uids if u != viewer} if viewer is not None else set()
        if others:
            hidden: set[str] = set()
            if self.silencing is not None:
                flags = self.silencing.flags(viewer or "", others)
                hidden |= {u for u, f in flags.items() if hidden_everywhere(f)}
            if self.suspensions is not None:
                hidden |= self.suspensions.suspended_among(others)
            uids = [u for u in uids if u not in hidden]
        found = self.people.users(uids)
        return [found[u] for u in uids if u in found]

    def trending(
        self, now_ms: int | None = None, limit: int = trends.MAX_TRENDS
    ) -> list[trends.Trend]:
        """Trending tags now; computed at most every TRENDS_CACHE_S per instance (unless a
        time is given: tests and tools)."""
        if now_ms is None:
            cached = self._trends
            if cached is not None and time.monotonic() - cached[0] < TRENDS_CACHE_S:
                return cached[1][:limit]
            with self._trends_lock:
                result = compute_trends(self.counter, ids.now_ms(), self.index)
                self._trends = (time.monotonic(), result)
            return result[:limit]
        return compute_trends(self.counter, now_ms, self.index)[:limit]


def compute_trends(
    counter: TrendCounter, now_ms: int, live: PostSearchIndex | None = None
) -> list[trends.Trend]:
    observed = counter.window_counts(now_ms)
    if live is not None:
        _recount(counter, now_ms, live, observed)
    # Only tags with enough accounts now can trend: their baselines are the only ones read.
    eligible = sorted(t for t, n in observed.items() if n >= trends.MIN_ACCOUNTS)
    daily = counter.daily_counts(eligible, now_ms)
    scored = [trends.score(t, observed[t], daily.get(t, [])) for t in eligible]
    return trends.rank([t for t in scored if t is not None])


def _recount(
    counter: TrendCounter, now_ms: int, live: PostSearchIndex, observed: dict[str, int]
) -> None:
    """Tags that lost posts in the window: their accounts as the index counts live posts
    (a HyperLogLog only grows), so a deleted burst stops trending. Only tags that could trend
    are asked, in one aggregation; with the index out, the counters stand."""
    recount = sorted(t for t in counter.recounts(now_ms) if observed.get(t, 0) > 0)
    if not recount:
        return
    since = min(trends.window_hours(now_ms)) * trends.HOUR_MS
    try:
        exact = live.live_tag_accounts(recount, since)
    except errors.Unavailable:
        log.warning("trends: search index unavailable, deleted posts not recounted")
        return
    for tag in recount:
        observed[tag] = min(observed[tag], exact.get(tag, 0))
