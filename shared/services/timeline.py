"""The timeline engine's service layer: home and user timelines over HTTP, and the consumers.

HTTP (routes of contracts/openapi.yaml whose backend is ``${timeline_url}``):
``GET /v1/timeline`` and ``GET /v1/users/{id}/posts``.

Consumers (one ``handle(event)`` each, built from the Container):
``FanoutPlanner`` (post-events), ``TimelineWriter`` (fanout-batches), ``FollowSync``
(social-events). Each is idempotent: redelivering a message any number of times leaves Redis as
one delivery did (tests/timeline prove it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from shared import events, ids
from shared.adapters.redis_timeline import NewPost, RedisTimelines, tl_key, ut_key
from shared.config import Settings
from shared.domain import errors
from shared.domain.fanout import AuthorActivity, Mode, Policy, batches
from shared.domain.media import MediaRef, media_json
from shared.domain.model import Post, User
from shared.domain.timeline import fallback_for, merge_newest
from shared.entrypoints.http.api import Request, Response, Router
from shared.ports import EventPublisher, FollowerSource, PostStore

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger(__name__)

FANOUT_TOPIC = "fanout-batches"
MAX_ROUNDS = 4  # bounded refills when filtering (deleted, unfollowed) thins a page
STORE_FANOUT_THREADS = 16


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# ---- reads -------------------------------------------------------------------------------


@dataclass
class Page:
    posts: list[Post]
    authors: dict[str, User] = field(default_factory=dict)
    next_cursor: str | None = None
    regenerating: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [p.to_json(self.authors.get(p.author_id)) for p in self.posts],
            "next_cursor": self.next_cursor,
            "regenerating": self.regenerating,
        }


class AvatarSource(Protocol):
    """Avatars by user id (MediaRepository.get_avatars): one batched read per page."""

    def get_avatars(self, user_ids: Iterable[str]) -> dict[str, MediaRef]: ...


class TimelineReader:
    def __init__(
        self,
        timelines: RedisTimelines,
        graph: FollowerSource,
        posts: PostStore,
        *,
        background: bool = True,
        avatars: AvatarSource | None = None,
    ) -> None:
        self.tl = timelines
        self.graph = graph
        self.posts = posts
        self.avatars = avatars
        # Regeneration runs after the response in production; tests may run it inline.
        self.background = background

    def home(self, uid: str, limit: int, before: int | None = None) -> Page:
        st = self.tl.reader_state(uid)
        pulls = st.pull_authors
        if not st.followees_cached:
            loaded = frozenset(self.graph.following_ids(uid))
            self.tl.store_followees(uid, loaded)
            pulls = self.tl.pull_authors_of(loaded)

        def everyone() -> frozenset[str]:
            return self.tl.followees(uid) | {uid}

        keyed: list[tuple[str, frozenset[str] | None]]
        if st.active:
            # None: the home timeline stands for every followee when it runs dry
            keyed = [(tl_key(uid), None), (ut_key(uid), frozenset({uid}))]
            keyed += [(ut_key(a), frozenset({a})) for a in pulls]
        else:
            # Fan-out skipped this reader while inactive: serve every followee by pull (each
            # bounded to `limit`) while their home timeline is rebuilt.
            authors = everyone()
            keyed = [(ut_key(a), frozenset({a})) for a in sorted(authors)]
            self._regenerate(uid, authors - {uid})
        page = self._collect(uid, keyed, limit, before, everyone, home=True)
        page.regenerating = not st.active
        return page

    def user_posts(self, uid: str, limit: int, before: int | None = None) -> Page:
        only = frozenset({uid})
        page = self._collect(uid, [(ut_key(uid), only)], limit, before, lambda: only, home=False)
        if not page.posts and uid not in page.authors:
            raise errors.NotFound(f"no user {uid}")
        return page

    def _collect(
        self,
        uid: str,
        keyed: list[tuple[str, frozenset[str] | None]],
        limit: int,
        before: int | None,
        everyone: Callable[[], frozenset[str]],
        *,
        home: bool,
    ) -> Page:
        page: list[Post] = []
        profiles: dict[str, User] = {}
        cursor = before
        exhausted = False
        for _ in range(MAX_ROUNDS):
            # A user's own timeline missing from Redis (lost, not yet rebuilt) costs one query.
            # One script run: merge, bodies, tombstones, authors' profiles and follow flags.
            rd = self.tl.round(keyed, cursor, limit, uid, home=home, truncate_empty=not home)
            merged = rd.merged
            fb = fallback_for(rd.runs)
            known: dict[int, Post] = {}
            if fb is not None and fb.needed(merged, limit):
                authors = fb.authors | (everyone() if fb.all_followees else frozenset())
                known = self._store_recent(authors, cursor, limit)
                merged = merge_newest([merged, sorted(known, reverse=True)], limit)
            posts = {**rd.live, **{k: v for k, v in known.items() if k not in rd.dead}}
            miss = [m for m in rd.missing if m not in known]
            if miss:
                stored = self.posts.get_posts(miss)
                self.tl.cache_posts(stored.values())
                posts.update({pid: p for pid, p in stored.items() if not p.deleted})
            follows = set(rd.follows)
            profiles.update(rd.profiles)
            # authors the script did not see (posts from the store): one more round trip
            unseen = sorted({p.author_id for p in posts.values()} - rd.seen)
            if unseen:
                more, cached = self.tl.author_info(uid if home else None, unseen)
                follows |= more
                profiles.update(cached)
            for pid in merged:
                p = posts.get(pid)
                # unfollowed authors' posts may linger in the home timeline: filter them
                ok = p is not None and (p.author_id == uid or (home and p.author_id in follows))
                if ok and p is not None and len(page) < limit:
                    page.append(p)
            exhausted = len(merged) < limit
            if len(page) >= limit or exhausted:
                break
            cursor = merged[-1]
        if page and not (exhausted and len(page) < limit):
            nxt: str | None = str(page[-1].id)
        elif not exhausted and cursor is not None:
            nxt = str(cursor)  # everything scanned was filtered out; keep scrolling from there
        else:
            nxt = None
        wanted = {p.author_id for p in page} | {uid}
        missing = sorted(a for a in wanted if a not in profiles)
        if missing:
            fetched = self.graph.get_users(missing)
            self.tl.cache_profiles(fetched.values())
            profiles.update(fetched)
        shown = self._with_avatars({a: u for a, u in profiles.items() if a in wanted})
        return Page(posts=page, authors=shown, next_cursor=nxt)

    def _with_avatars(self, authors: dict[str, User]) -> dict[str, User]:
        # Not in the Redis profile cache: an avatar change must show at once, not after a TTL.
        if self.avatars is None or not authors:
            return authors
        try:
            found = self.avatars.get_avatars(sorted(authors))
        except Exception:  # a picture is not worth failing the page for
            log.warning("avatar lookup failed; authors shown without", exc_info=True)
            return authors
        return {
            a: replace(u, avatar=media_json(found[a]) if a in found else None)
            for a, u in authors.items()
        }

    def _store_recent(
        self, authors: Iterable[str], before: int | None, limit: int
    ) -> dict[int, Post]:
        wanted = sorted(authors)
        if not wanted:
            return {}

        def one(a: str) -> list[Post]:
            return self.posts.list_user_posts(a, limit, before)

        if len(wanted) == 1:
            lists = [one(wanted[0])]
        else:
            with ThreadPoolExecutor(min(STORE_FANOUT_THREADS, len(wanted))) as pool:
                lists = list(pool.map(one, wanted))
        found = {p.id: p for ps in lists for p in ps if not p.deleted}
        self.tl.cache_posts(found.values())
        return found

    def _regenerate(self, uid: str, followees: Iterable[str]) -> None:
        if not self.tl.try_lock_regeneration(uid):
            return  # someone is already on it; this read is served by pull meanwhile

        def run() -> None:
            try:
                self.tl.regenerate(uid, sorted(followees))
            except Exception:  # the lock expires and the next read retries
                log.exception("regenerating the home timeline of %s failed", uid)
            finally:
                self.tl.unlock_regeneration(uid)

        if self.background:
            threading.Thread(target=run, name=f"regen-{uid}", daemon=True).start()
        else:
            run()


class _AvatarsOf:
    """The media repository, built on the first lookup (inside the reader's error guard)."""

    def __init__(self, c: Container) -> None:
        self._c = c
        self._repo: AvatarSource | None = None

    def get_avatars(self, user_ids: Iterable[str]) -> dict[str, MediaRef]:
        if self._repo is None:
            self._repo = self._c.media_repo
        return self._repo.get_avatars(user_ids)


def _before(req: Request) -> int | None:
    raw = req.query.get("before")
    if raw is None or raw == "":
        return None
    try:
        return ids.parse_id(raw)
    except ValueError as exc:
        raise errors.InvalidInput("before must be a post id (a string of digits)") from exc


def build_router(c: Container) -> Router:
    router = Router()
    reader: list[TimelineReader] = []

    def get_reader() -> TimelineReader:
        if not reader:  # connect on first use, not at import
            avatars = _AvatarsOf(c)
            reader.append(TimelineReader(c.timelines, c.graph, c.posts, avatars=avatars))
        return reader[0]

    @router.route("GET", "/v1/timeline")
    def home(req: Request) -> Response:
        uid = req.caller().uid
        limit = req.int_query("limit", 20, lo=1, hi=100)
        page = get_reader().home(uid, limit, _before(req))
        return page.to_json(), 206 if page.regenerating else 200, {"Cache-Control": "no-store"}

    @router.route("GET", "/v1/users/{id}/posts")
    def user_posts(req: Request) -> Response:
        req.caller()
        uid = req.params["id"]
        if not 1 <= len(uid) <= 128:
            raise errors.InvalidInput("id must be 1-128 characters")
        limit = req.int_query("limit", 20, lo=1, hi=100)
        page = get_reader().user_posts(uid, limit, _before(req))
        return page.to_json(), 200

    return router


# ---- consumers ---------------------------------------------------------------------------


def _publish_all(publisher: EventPublisher, topic: str, batch: list[events._Event]) -> None:
    many: Callable[[str, list[events._Event]], None] | None = getattr(
        publisher, "publish_many", None
    )
    if many is not None:
        many(topic, batch)
    else:
        for e in batch:
            publisher.publish(topic, e)


class FanoutPlanner:
    """post-events: record the post, decide push or pull once, page followers into batches."""

    def __init__(
        self,
        timelines: RedisTimelines,
        graph: FollowerSource,
        publisher: EventPublisher,
        settings: Settings,
    ) -> None:
        self.tl = timelines
        self.graph = graph
        self.publisher = publisher
        self.settings = settings
        self.policy = Policy.from_settings(settings)

    @classmethod
    def from_container(cls, c: Container) -> FanoutPlanner:
        return cls(c.timelines, c.graph, c.publisher, c.settings)

    def handle(self, event: events.Event) -> None:
        if isinstance(event, events.PostCreated):
            post = NewPost(
                int(event.post_id),
                event.author_id,
                event.text,
                event.created_ms,
                tuple(event.media),
            )
            out = self.plan_posts([post], trace_id=event.trace_id)
            if out:
                _publish_all(self.publisher, FANOUT_TOPIC, list(out))
        elif isinstance(event, events.PostDeleted):
            out = self.plan_delete(int(event.post_id), event.author_id, event.created_ms)
            if out:
                _publish_all(self.publisher, FANOUT_TOPIC, list(out))
        else:
            log.warning("fanout_planner ignores %s", event.type)

    def plan_posts(
        self, posts: Sequence[NewPost], *, trace_id: str | None = None
    ) -> list[events.FanoutBatch]:
        """Record posts (in order) and return the push batches to publish.

        The benchmark drives this with thousands of posts per call; the consumer with one.
        """
        recorded = self.tl.record_posts(posts)
        counts: dict[str, int] = {}
        first: dict[str, list[str]] = {}  # an author's only follower page, when short
        undecided: list[tuple[NewPost, AuthorActivity]] = []
        modes: dict[int, Mode] = {}
        for p, r in zip(posts, recorded, strict=True):
            if r.gone:
                continue
            if r.mode is not None:
                modes[p.post_id] = r.mode
                continue
            if p.author_id not in counts:
                counts[p.author_id] = self._count(p.author_id, first)
            activity = AuthorActivity(counts[p.author_id], r.posts_in_window, r.window_span_ms)
            undecided.append((p, activity))
        decisions = [(p.post_id, p.author_id, self.policy.decide(a)) for p, a in undecided]
        finals = self.tl.commit_modes(decisions)
        for (pid, _, _), mode in zip(decisions, finals, strict=True):
            modes[pid] = mode
        out: list[events.FanoutBatch] = []
        for p in posts:
            if modes.get(p.post_id) is Mode.PUSH:
                out += self._batches(
                    "add", p.post_id, p.author_id, p.created_ms, trace_id, first.get(p.author_id)
                )
        return out

    def _count(self, author: str, first: dict[str, list[str]]) -> int:
        """The author's follower count. Most authors have fewer followers than one page: then
        the page the push needs anyway is the count, and the count query is saved."""
        size = self.settings.fanout_batch_size
        page = next(iter(self.graph.iter_follower_pages(author, size)), [])
        if len(page) < size:
            first[author] = page
            return len(page)
        return self.graph.follower_count(author)

    def plan_delete(
        self, post_id: int, author_id: str, created_ms: int
    ) -> list[events.FanoutBatch]:
        mode = self.tl.delete_post(post_id, author_id)
        if mode is Mode.PULL:
            return []  # it lived only in its author's timeline; stray copies are filtered
        if (
            mode is None
            and self.graph.follower_count(author_id) >= self.policy.pull_follower_threshold
        ):
            return []  # unknown mode (lost with Redis): the read-side tombstone filter suffices
        return self._batches("remove", post_id, author_id, created_ms, None)

    def _batches(
        self,
        op: str,
        post_id: int,
        author_id: str,
        created_ms: int,
        trace_id: str | None,
        only_page: list[str] | None = None,
    ) -> list[events.FanoutBatch]:
        size = self.settings.fanout_batch_size
        pages: Iterable[list[str]]
        if only_page is not None:
            pages = [only_page]
        else:
            pages = self.graph.iter_follower_pages(author_id, size)
        if op == "add":
            pages = self._active(pages)
        now = _now_ms()
        return [
            events.FanoutBatch(
                # Deterministic: a re-planned post yields the very same batch messages.
                event_id=f"fanout-{op}-{post_id}-{n}",
                occurred_ms=now,
                trace_id=trace_id,
                op="add" if op == "add" else "remove",
                post_id=str(post_id),
                author_id=author_id,
                created_ms=created_ms,
                recipients=recipients,
                batch_no=n,
            )
            for n, recipients in enumerate(batches(pages, size))
        ]

    def _active(self, pages: Iterable[list[str]]) -> Iterator[list[str]]:
        # Inactive followers are skipped here, not in the writer: one MGET per page, and the
        # batches published (and written) carry only readers worth a write.
        for page in pages:
            active = self.tl.active_among(page)
            if len(active) < len(page):
                keep = set(active)
                self.tl.free_inactive([u for u in page if u not in keep])
            yield active


class TimelineWriter:
    """fanout-batches: one script run writes a batch into up to ~1,000 home timelines."""

    def __init__(self, timelines: RedisTimelines) -> None:
        self.tl = timelines

    @classmethod
    def from_container(cls, c: Container) -> TimelineWriter:
        return cls(c.timelines)

    def handle(self, event: events.Event) -> None:
        if not isinstance(event, events.FanoutBatch):
            log.warning("timeline_writer ignores %s", event.type)
            return
        self.tl.apply_batch(event.op, int(event.post_id), event.recipients)
        # The figure to watch in Cloud Logging: how long after the post a batch reached Redis.
        log.info(
            "fan-out batch written",
            extra={
                "json_fields": {
                    "fanout_lag_ms": _now_ms() - event.created_ms,
                    "post_id": event.post_id,
                    "op": event.op,
                    "batch_no": event.batch_no,
                    "recipients": len(event.recipients),
                }
            },
        )


class FollowSync:
    """social-events: make Redis agree with the graph for one (follower, followee) pair.

    Events can arrive late, twice or out of order, so neither event is trusted about the
    current state: both re-read the graph and converge to it (backfill or unmerge).
    """

    def __init__(
        self,
        timelines: RedisTimelines,
        graph: FollowerSource,
        posts: PostStore,
        settings: Settings,
    ) -> None:
        self.tl = timelines
        self.graph = graph
        self.posts = posts
        self.settings = settings

    @classmethod
    def from_container(cls, c: Container) -> FollowSync:
        return cls(c.timelines, c.graph, c.posts, c.settings)

    def handle(self, event: events.Event) -> None:
        if isinstance(event, events.UserFollowed | events.UserUnfollowed):
            self.sync(event.follower_id, event.followee_id)
        else:
            log.warning("follow_sync ignores %s", event.type)

    def sync(self, follower: str, followee: str) -> None:
        if followee in set(self.graph.following_ids(follower)):
            n = self.settings.backfill_limit
            entries = self.tl.recent_entries(followee, n)
            if not entries:  # the author's timeline may be missing from Redis: ask the store
                posts = self.posts.list_user_posts(followee, n)
                self.tl.cache_posts(posts)
                entries = [(p.id, ids.timestamp_ms(p.id)) for p in posts if not p.deleted]
            self.tl.follow(follower, followee, entries)
        else:
            self.tl.unfollow(follower, followee)


def planner(c: Container) -> FanoutPlanner:
    return FanoutPlanner.from_container(c)


def writer(c: Container) -> TimelineWriter:
    return TimelineWriter.from_container(c)


def follow_sync(c: Container) -> FollowSync:
    return FollowSync.from_container(c)
