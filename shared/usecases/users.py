"""What people do with each other's profiles: register, look one up, follow and unfollow, page
through follower lists and get suggestions. Behind the ``users`` HTTP function
(shared/entrypoints/http/users.py); sees the graph, the post store and the media repository only
through ports (shared/ports.py).

Promises:
- profiles are shown with their post count and avatar (a lookup failure of the avatar shows the
  default picture; a failure of the post store fails the request);
- registration is idempotent per person and puts the profile card (ProfileCards) when wired;
- every real follow change publishes UserFollowed / UserUnfollowed to ``social-events`` after
  the graph commit. A follow stays marked ``unannounced`` (an unfollow leaves a tombstone) until
  Pub/Sub acked its event; a failed publish raises Unavailable, and the client's retry of the
  same idempotent PUT/DELETE publishes it again, as does ``relay_social_events`` for requests
  that are never retried. The event id is derived from the edge, so every re-publish is the
  same event.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from shared import events, observability
from shared.domain import errors, safety
from shared.domain import users as domain
from shared.domain.media import media_json
from shared.domain.model import User
from shared.domain.safety import BlockedPair
from shared.domain.users import HandleRefused, MissingUser, ProfileChange, UserPage
from shared.ids import now_ms
from shared.ports import (
    AvatarSource,
    BlockLookup,
    EventPublisher,
    FollowAnnouncements,
    PeopleIndex,
    PostCounter,
    ProfileCards,
    SocialGraph,
    SuspensionCheck,
)

log = logging.getLogger(__name__)

SOCIAL_EVENTS_TOPIC = "social-events"
# Cold-start suggestions (the graph has nothing to offer: a new account, or one whose follows
# lead nowhere): the most-followed accounts that have posted, from a pool of POPULAR_POOL read
# from the graph at most every POPULAR_TTL_S per process.
POPULAR_POOL = 100
POPULAR_PAGES = 3  # candidates read for the pool: at most this many pools' worth
POPULAR_ENOUGH = 20  # stop reading candidates once this many have posted
POPULAR_TTL_S = 300.0
# The avatar lookup runs beside the page's batched post count (PostCounter.count_user_posts_many).
_COUNT_WORKERS = 2


def event_id(kind: str, follower_id: str, followee_id: str, at_ms: int) -> str:
    """Stable per edge change: every re-publish of one follow is the same event for consumers."""
    digest = hashlib.sha256(f"{kind}\x1f{follower_id}\x1f{followee_id}\x1f{at_ms}".encode())
    return f"{kind}-{digest.hexdigest()[:40]}"


def follow_event(follower_id: str, followee_id: str, created_ms: int) -> events.UserFollowed:
    return _edge_event(events.UserFollowed, "fol", follower_id, followee_id, created_ms)


def unfollow_event(follower_id: str, followee_id: str, at_ms: int) -> events.UserUnfollowed:
    return _edge_event(events.UserUnfollowed, "unf", follower_id, followee_id, at_ms)


_E = TypeVar("_E", events.UserFollowed, events.UserUnfollowed)


def _edge_event(cls: type[_E], kind: str, follower_id: str, followee_id: str, at_ms: int) -> _E:
    return cls(
        event_id=event_id(kind, follower_id, followee_id, at_ms),
        occurred_ms=at_ms,
        trace_id=observability.current_trace(),
        follower_id=follower_id,
        followee_id=followee_id,
    )


@dataclass(frozen=True)
class Profile:
    """A user as someone sees them: ``followed_by_me`` is None when they look at themselves."""

    user: User
    followed_by_me: bool | None


@dataclass(frozen=True)
class Suggestion:
    user: User
    degree: int  # 2: followed by someone you follow; 3: one step further
    mutual_count: int


class UsersService:
    def __init__(
        self,
        graph: SocialGraph,
        publisher: EventPublisher,
        posts: PostCounter | None = None,
        *,
        topic: str = SOCIAL_EVENTS_TOPIC,
        avatars: AvatarSource | None = None,
        cards: ProfileCards | None = None,
        people: PeopleIndex | None = None,
        suspensions: SuspensionCheck | None = None,
        list_counts: PostCounter | None = None,
        silencing: BlockLookup | None = None,
    ) -> None:
        self._silencing = silencing
        self._suspensions = suspensions
        # List pages' post counts may be a few seconds old (a cache); one profile's are exact.
        self._list_counts = list_counts or posts
        self._graph = graph
        self._publisher = publisher
        self._posts = posts
        self._avatars = avatars
        self._cards = cards
        self._people = people
        self._topic = topic
        self._pool = ThreadPoolExecutor(_COUNT_WORKERS, thread_name_prefix="post-count")
        self._popular: tuple[float, list[User]] | None = None
        self._popular_lock = threading.Lock()

    # -- profiles ---------------------------------------------------------------------------

    def register(self, uid: str, handle: str, display_name: str) -> tuple[User, bool]:
        """(the profile, whether it is new), for a handle and name the domain validated."""
        stored = self._graph.create_user(uid, handle, display_name)
        if isinstance(stored, HandleRefused):
            if stored.lookalike:
                raise domain.handle_looks_taken(handle, stored.existing)
            raise domain.handle_taken(handle)
        user, created = stored
        domain.check_registration(user, handle)
        shown = self.complete([user])[0]
        self._put_card(shown)
        if self._people is not None:
            # Off the request: registration must not wait for (or on) the search engine.
            self._pool.submit(self._index_person, shown)
        return shown, created

    def update_profile(self, uid: str, change: ProfileChange) -> User:
        """Edit the caller's own profile (the id never changes, so links by id keep working).

        The profile card every timeline shows is replaced in the same request, so readers see
        the new name or handle on their next page rather than when a cache expires."""
        stored = self._graph.update_profile(uid, change)
        if stored is None:
            raise domain.no_user(uid, caller=uid)
        if isinstance(stored, HandleRefused):
            raise domain.handle_taken_by(change.handle or "", stored)
        shown = self.complete([stored])[0]
        self._put_card(shown)
        return shown

    def _put_card(self, user: User) -> None:
        if self._cards is None:
            return
        try:
            self._cards.put_cards([user])
        except Exception:
            # The profile is saved; a missing card is filled on its first read (ProfileCards).
            log.warning("profile card of %s not put; filled on read", user.id, exc_info=True)

    def _index_person(self, user: User) -> None:
        """Into the people search (typeahead), in the background. The profile is saved either
        way; a registration missed while the index was down shows up again on the next register
        call (idempotent)."""
        if self._people is None:
            return
        try:
            self._people.index_users([user])
        except Exception:
            log.warning("profile of %s not indexed for search", user.id, exc_info=True)

    def me(self, uid: str) -> User:
        user = self._graph.get_user(uid)
        if user is None:
            raise domain.no_user(uid, caller=uid)
        return self.complete([user])[0]

    def profile(self, uid: str, viewer: str) -> Profile:
        user = self._graph.get_user(uid)
        if user is None:
            raise domain.no_user(uid)
        return self._seen_by(self.complete([user])[0], viewer)

    def profile_by_handle(self, handle: str, viewer: str) -> Profile:
        user = self._graph.get_user_by_handle(handle)
        if user is None:
            raise errors.NotFound(f"no user @{handle}", details={"handle": handle})
        return self._seen_by(self.complete([user])[0], viewer)

    def _seen_by(self, user: User, viewer: str) -> Profile:
        # A profile page needs this to draw its follow button; saves the client a second call.
        if viewer == user.id:
            return Profile(user, None)
        return Profile(user, self._graph.is_following(viewer, user.id))

    def complete(self, users: list[User], *, listing: bool = False) -> list[User]:
        """Users as the API shows them: with post counts and avatars (one batched lookup each,
        side by side). ``listing``: a list page, whose counts may come from the cache."""
        if not users:
            return users
        avatars = self._pool.submit(self._avatars_of, [u.id for u in users], listing)
        counted = self.with_post_counts(users, self._list_counts if listing else self._posts)
        found = avatars.result()
        return [dataclasses.replace(u, avatar=found.get(u.id)) for u in counted]

    def _avatars_of(self, uids: list[str], listing: bool = False) -> dict[str, dict[str, Any]]:
        """Avatars (media_json) by user id. A list page reads them, as a timeline does, from the
        profile cards in Redis (updated on every avatar change), and looks up in the media
        repository (two Firestore round trips) only users without a card: a page of 100 costs
        one Redis pipeline (docs/graph.md, "Lists"). One profile asks the repository."""
        shown: dict[str, dict[str, Any]] = {}
        missing = uids
        if listing and self._cards is not None:
            try:
                cards = self._cards.cards(uids)
            except Exception:
                log.warning("profile cards unreadable; avatars from the media store", exc_info=True)
                cards = {}
            shown = {uid: c.avatar for uid, c in cards.items() if c.avatar is not None}
            missing = [uid for uid in uids if uid not in cards]
        if not missing or self._avatars is None:
            return shown
        try:
            refs = self._avatars.get_avatars(missing)
        except Exception:
            # A picture is not worth failing a profile for: it shows the default one.
            log.warning("avatar lookup failed; users shown without", exc_info=True)
            return shown
        return {**shown, **{uid: media_json(ref) for uid, ref in refs.items()}}

    def with_post_counts(self, users: list[User], posts: PostCounter | None = None) -> list[User]:
        posts = posts or self._posts
        if posts is None or not users:
            return users
        counts = posts.count_user_posts_many([u.id for u in users])
        return [dataclasses.replace(u, post_count=counts.get(u.id, 0)) for u in users]

    # -- follows ----------------------------------------------------------------------------

    def follow(self, caller: str, target: str) -> bool:
        """Whether this call created the follow (False: it existed)."""
        domain.check_not_self(caller, target, "follow")
        if self._suspensions is not None:
            self._suspensions.check(caller)  # 403 account_suspended
        res = self._graph.follow_with_state(caller, target)
        if isinstance(res, MissingUser):
            raise domain.no_user(res.id, caller=caller)
        if isinstance(res, BlockedPair):
            raise safety.blocked(target)  # 403 blocked, whichever of the two blocked
        if not res.announced:
            self._announce(follow_event(caller, target, res.created_ms))
            self._graph.mark_follow_announced(caller, target, res.created_ms)
        return res.changed

    def unfollow(self, caller: str, target: str) -> bool:
        """Whether this call removed the follow (False: there was none)."""
        domain.check_not_self(caller, target, "unfollow")
        res = self._graph.unfollow_with_state(caller, target)
        if isinstance(res, MissingUser):
            raise domain.no_user(res.id, caller=caller)
        if res.pending_at_ms is not None:
            self._announce(unfollow_event(caller, target, res.pending_at_ms))
            self._graph.mark_unfollow_announced(caller, target, res.pending_at_ms)
        return res.changed

    def _announce(self, event: events.UserFollowed | events.UserUnfollowed) -> None:
        try:
            self._publisher.publish(self._topic, event)
        except Exception as exc:
            # The graph change is committed and still marked unannounced: the client's retry
            # (or the relay) publishes it. Answering 200 here would hide that it is pending.
            log.warning("publish of %s failed; the edge stays unannounced", event.event_id,
                        exc_info=True)  # fmt: skip
            raise errors.Unavailable(
                "saved, but its event could not be published yet; retry the same request",
                retry_after_s=1,
            ) from exc

    # -- lists ------------------------------------------------------------------------------

    def followers(
        self, uid: str, limit: int, cursor: str | None, viewer: str | None = None
    ) -> tuple[list[User], str | None]:
        """A page of who follows ``uid``, newest first, and the cursor of the next page; as
        ``viewer`` may see it (module docstring of shared.domain.safety: across a block, 403)."""
        after = domain.decode_cursor(cursor) if cursor else None
        return self._shown(uid, self._graph.followers(uid, limit, after), viewer)

    def following(
        self, uid: str, limit: int, cursor: str | None, viewer: str | None = None
    ) -> tuple[list[User], str | None]:
        after = domain.decode_cursor(cursor) if cursor else None
        return self._shown(uid, self._graph.following(uid, limit, after), viewer)

    def _shown(
        self, uid: str, page: UserPage | None, viewer: str | None
    ) -> tuple[list[User], str | None]:
        if page is None:
            raise domain.no_user(uid)
        nxt = domain.encode_cursor(*page.next) if page.next else None
        users = page.users
        hidden = self._blocked_among(viewer, [uid, *(u.id for u in users)])
        if uid in hidden:
            raise safety.blocked(uid)  # as their posts and likes: the profile says so
        # People the viewer blocks or is blocked by are left out (a page may come back short;
        # its cursor, from the graph's page, goes on).
        return self.complete([u for u in users if u.id not in hidden], listing=True), nxt

    def _blocked_among(self, viewer: str | None, people: list[str]) -> set[str]:
        """Who of ``people`` ``viewer`` blocks or is blocked by (one lookup)."""
        others = {u for u in people if u != viewer}
        if viewer is None or self._silencing is None or not others:
            return set()
        return self._silencing.blocked_among(viewer, others)

    def suggestions(self, uid: str, limit: int) -> list[Suggestion]:
        ranked = self._graph.suggestions(uid, limit)
        if ranked is None:
            raise domain.no_user(uid)
        hidden = self._blocked_among(uid, [u.id for u, _, _ in ranked])
        ranked = [r for r in ranked if r[0].id not in hidden]
        if not ranked:
            return self._cold_start(uid, limit)
        users = self.complete([u for u, _, _ in ranked], listing=True)
        return [Suggestion(u, d, m) for u, (_, d, m) in zip(users, ranked, strict=True)]

    def _cold_start(self, uid: str, limit: int) -> list[Suggestion]:
        """Active, popular accounts (degree 0: no path in the graph), minus the caller and
        whom they follow. Per request one graph read (the follow check); the pool is cached."""
        pool = [u for u in self._popular_pool() if u.id != uid]
        hidden = self._blocked_among(uid, [u.id for u in pool])
        pool = [u for u in pool if u.id not in hidden]
        followed = self._graph.followed_among(uid, [u.id for u in pool]) if pool else set()
        return [Suggestion(u, 0, 0) for u in pool if u.id not in followed][:limit]

    def _popular_pool(self) -> list[User]:
        now = time.monotonic()
        with self._popular_lock:
            hit = self._popular
            if hit is not None and now - hit[0] < POPULAR_TTL_S:
                return hit[1]
            # "Active": has posted. Counted once per pool (post counts and avatars are part of
            # what is cached), not per request. The most-followed accounts need not have
            # posted (imported or idle ones), so candidates are read in pages of the pool's
            # size, a bounded few, until enough of them have.
            shown: list[User] = []
            candidates = self._graph.popular(POPULAR_POOL * POPULAR_PAGES)
            for i in range(0, len(candidates), POPULAR_POOL):
                page = self.complete(candidates[i : i + POPULAR_POOL])
                shown += [u for u in page if u.post_count > 0]
                if len(shown) >= POPULAR_ENOUGH:
                    break
            shown = shown[:POPULAR_POOL]
            # An empty pool is not kept: on a young platform the first posts must show at once.
            self._popular = (now, shown) if shown else None
            return shown


def relay_social_events(
    graph: FollowAnnouncements,
    publisher: EventPublisher,
    *,
    limit: int = 500,
    min_age_ms: int = 10_000,
) -> int:
    """Publish follow/unfollow events a request committed but never got acked; returns how many.

    Meant for a periodic tick (the outbox relay). Events younger than ``min_age_ms`` are left to
    the request that is probably still publishing them; a duplicate would be harmless.
    """
    published = 0
    for p in graph.pending_announcements(limit, older_than_ms=now_ms() - min_age_ms):
        if p.kind == "follow":
            publisher.publish(SOCIAL_EVENTS_TOPIC, follow_event(p.follower_id, p.followee_id,
                                                                p.at_ms))  # fmt: skip
            graph.mark_follow_announced(p.follower_id, p.followee_id, p.at_ms)
        else:
            publisher.publish(SOCIAL_EVENTS_TOPIC, unfollow_event(p.follower_id, p.followee_id,
                                                                  p.at_ms))  # fmt: skip
            graph.mark_unfollow_announced(p.follower_id, p.followee_id, p.at_ms)
        published += 1
    return published
