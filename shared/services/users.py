"""The users HTTP function: profiles, follows, follower lists and people-you-may-know.

Serves every route of shared/contracts/openapi.yaml whose backend is ``${users_url}``.

Follow events: each real change publishes UserFollowed / UserUnfollowed to ``social-events``
after the graph commit. A follow stays marked ``unannounced`` (an unfollow leaves a tombstone)
until Pub/Sub acked its event; a failed publish answers 503, and the client's retry of the same
idempotent PUT/DELETE publishes it again, as does ``relay_social_events`` for requests that are
never retried. The event id is derived from the edge, so every re-publish is the same event.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from shared import events, observability
from shared.adapters.neo4j_graph import Neo4jGraph, PendingAnnouncement
from shared.domain import errors
from shared.domain import users as domain
from shared.domain.media import MediaRef, media_json
from shared.domain.model import User
from shared.entrypoints.http.api import Request, Response, Router
from shared.ports import EventPublisher

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger(__name__)
_T = TypeVar("_T")

SOCIAL_EVENTS_TOPIC = "social-events"
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
MAX_CURSOR_LEN = 512
# Post counts of a list page come from the post store one author at a time; a few in parallel
# keep a 100-user page to a few round trips of latency.
_COUNT_WORKERS = 8


class PostCounter(Protocol):
    def count_user_posts(self, author_id: str) -> int: ...


class AvatarSource(Protocol):
    """Avatars by user id (MediaRepository.get_avatars)."""

    def get_avatars(self, user_ids: Iterable[str]) -> dict[str, MediaRef]: ...


def event_id(kind: str, follower_id: str, followee_id: str, at_ms: int) -> str:
    """Stable per edge change: every re-publish of one follow is the same event for consumers."""
    digest = hashlib.sha256(f"{kind}\x1f{follower_id}\x1f{followee_id}\x1f{at_ms}".encode())
    return f"{kind}-{digest.hexdigest()[:40]}"


def follow_event(follower_id: str, followee_id: str, created_ms: int) -> events.UserFollowed:
    return events.UserFollowed(
        event_id=event_id("fol", follower_id, followee_id, created_ms),
        occurred_ms=created_ms,
        trace_id=observability.current_trace(),
        follower_id=follower_id,
        followee_id=followee_id,
    )


def unfollow_event(follower_id: str, followee_id: str, at_ms: int) -> events.UserUnfollowed:
    return events.UserUnfollowed(
        event_id=event_id("unf", follower_id, followee_id, at_ms),
        occurred_ms=at_ms,
        trace_id=observability.current_trace(),
        follower_id=follower_id,
        followee_id=followee_id,
    )


class UsersService:
    def __init__(
        self,
        graph: Callable[[], Neo4jGraph],
        publisher: Callable[[], EventPublisher],
        posts: Callable[[], PostCounter | None],
        *,
        topic: str = SOCIAL_EVENTS_TOPIC,
        avatars: Callable[[], AvatarSource] | None = None,
    ) -> None:
        # Resolved on first use, so importing the function never needs Neo4j or Pub/Sub up.
        self._graph = graph
        self._publisher = publisher
        self._posts = posts
        self._avatars = avatars
        self._topic = topic
        self._pool = ThreadPoolExecutor(_COUNT_WORKERS, thread_name_prefix="post-count")

    @property
    def graph(self) -> Neo4jGraph:
        return self._graph()

    # -- profiles ---------------------------------------------------------------------------

    def register(self, uid: str, handle: str, display_name: str) -> tuple[User, bool]:
        user, created = self.graph.create_user(uid, handle, display_name)
        return self.complete([user])[0], created

    def profile(self, uid: str) -> User:
        user = self.graph.get_user(uid)
        if user is None:
            raise errors.NotFound(f"no user {uid}", details={"id": uid})
        return self.complete([user])[0]

    def profile_by_handle(self, handle: str) -> User:
        user = self.graph.get_user_by_handle(handle)
        if user is None:
            raise errors.NotFound(f"no user @{handle}", details={"handle": handle})
        return self.complete([user])[0]

    def complete(self, users: list[User]) -> list[User]:
        """Users as the API shows them: with post counts and avatars (one batched lookup)."""
        if not users:
            return users
        avatars = self._pool.submit(self._avatars_of, [u.id for u in users])
        counted = self.with_post_counts(users)
        found = avatars.result()
        return [
            dataclasses.replace(u, avatar=media_json(found[u.id]) if u.id in found else None)
            for u in counted
        ]

    def _avatars_of(self, uids: list[str]) -> dict[str, MediaRef]:
        if self._avatars is None:
            return {}
        try:
            return self._avatars().get_avatars(uids)
        except Exception:
            # A picture is not worth failing a profile for: it shows the default one.
            log.warning("avatar lookup failed; users shown without", exc_info=True)
            return {}

    def with_post_counts(self, users: list[User]) -> list[User]:
        posts = self._posts()
        if posts is None or not users:
            return users
        counts = list(self._pool.map(posts.count_user_posts, [u.id for u in users]))
        return [dataclasses.replace(u, post_count=n) for u, n in zip(users, counts, strict=True)]

    # -- follows ----------------------------------------------------------------------------

    def follow(self, caller: str, target: str) -> bool:
        if caller == target:
            raise errors.InvalidInput("you cannot follow yourself")
        res = _as_caller(caller, lambda: self.graph.follow_with_state(caller, target))
        if not res.announced:
            self._announce(follow_event(caller, target, res.created_ms))
            self.graph.mark_follow_announced(caller, target, res.created_ms)
        return res.changed

    def unfollow(self, caller: str, target: str) -> bool:
        if caller == target:
            raise errors.InvalidInput("you cannot unfollow yourself")
        res = _as_caller(caller, lambda: self.graph.unfollow_with_state(caller, target))
        if res.pending_at_ms is not None:
            self._announce(unfollow_event(caller, target, res.pending_at_ms))
            self.graph.mark_unfollow_announced(caller, target, res.pending_at_ms)
        return res.changed

    def _announce(self, event: events.UserFollowed | events.UserUnfollowed) -> None:
        try:
            self._publisher().publish(self._topic, event)
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

    def followers(self, uid: str, limit: int, cursor: str | None) -> tuple[list[User], str | None]:
        users, nxt = self.graph.followers(uid, limit, cursor)
        return self.complete(users), nxt

    def following(self, uid: str, limit: int, cursor: str | None) -> tuple[list[User], str | None]:
        users, nxt = self.graph.following(uid, limit, cursor)
        return self.complete(users), nxt

    def suggestions(self, uid: str, limit: int) -> list[tuple[User, int, int]]:
        ranked = self.graph.suggestions(uid, limit)
        users = self.complete([u for u, _, _ in ranked])
        return [(u, d, m) for u, (_, d, m) in zip(users, ranked, strict=True)]


def _as_caller(caller: str, op: Callable[[], _T]) -> _T:
    """Run a follow operation, telling an unregistered caller what to do about it."""
    try:
        return op()
    except errors.NotFound as exc:
        if isinstance(exc.details, dict) and exc.details.get("id") == caller:
            raise errors.NotFound(
                "register your profile first (POST /v1/users)", details={"id": caller}
            ) from exc
        raise


def relay_social_events(
    graph: Neo4jGraph, publisher: EventPublisher, *, limit: int = 500, min_age_ms: int = 10_000
) -> int:
    """Publish follow/unfollow events a request committed but never got acked; returns how many.

    Meant for a periodic tick (e.g. the outbox relay). Events younger than ``min_age_ms`` are
    left to the request that is probably still publishing them; a duplicate would be harmless.
    """
    published = 0
    cutoff = int(time.time() * 1000) - min_age_ms
    pending: Iterable[PendingAnnouncement] = graph.pending_announcements(
        limit, older_than_ms=cutoff
    )
    for p in pending:
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


# -- HTTP -----------------------------------------------------------------------------------


def _path_user_id(req: Request) -> str:
    uid = req.params["id"]
    if not domain.is_valid_user_id(uid):
        raise errors.InvalidInput(
            "user id must be 1-128 characters of A-Z a-z 0-9 _ . : @ -", details={"field": "id"}
        )
    return uid


def _caller_id(req: Request) -> str:
    uid = req.caller().uid
    if not domain.is_valid_user_id(uid):
        raise errors.InvalidInput("this account's id cannot be used as a Kwetter user id")
    return uid


def _limit(req: Request) -> int:
    return req.int_query("limit", DEFAULT_LIMIT, lo=1, hi=MAX_LIMIT)


def _cursor(req: Request) -> str | None:
    cursor = req.query.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_CURSOR_LEN:
        raise errors.InvalidInput("cursor is not one this API returned")
    return cursor


def _body_field(body: dict[str, Any], name: str, check: Callable[[object], str]) -> str:
    if name not in body or body[name] is None:
        raise errors.InvalidInput(f"{name} is required", details={"field": name})
    if not isinstance(body[name], str):
        raise errors.InvalidInput(f"{name} must be a string", details={"field": name})
    try:
        return check(body[name])
    except domain.InvalidField as exc:
        raise errors.ValidationFailed(exc.message, details={"field": exc.field}) from exc


def _page(users: list[User], next_cursor: str | None) -> dict[str, Any]:
    return {"items": [u.to_json() for u in users], "next_cursor": next_cursor}


def router_for(service: UsersService) -> Router:
    router = Router()

    @router.route("POST", "/v1/users")
    def register(req: Request) -> Response:
        uid = _caller_id(req)
        body = req.json()
        handle = _body_field(body, "handle", domain.validate_handle)
        name = _body_field(body, "display_name", domain.validate_display_name)
        user, created = service.register(uid, handle, name)
        return user.to_json(), (201 if created else 200), {"Location": f"/v1/users/{user.id}"}

    @router.route("GET", "/v1/me")
    def me(req: Request) -> Response:
        uid = _caller_id(req)
        try:
            return service.profile(uid).to_json(), 200
        except errors.NotFound as exc:
            raise errors.NotFound(
                "register your profile first (POST /v1/users)", details={"id": uid}
            ) from exc

    @router.route("GET", "/v1/me/suggestions")
    def suggestions(req: Request) -> Response:
        uid = _caller_id(req)
        limit = _limit(req)
        items = [
            {"user": u.to_json(), "degree": degree, "mutual_count": mutual}
            for u, degree, mutual in service.suggestions(uid, limit)
        ]
        return {"items": items}, 200

    @router.route("GET", "/v1/users/by-handle/{handle}")
    def by_handle(req: Request) -> Response:
        caller = _caller_id(req)
        try:
            handle = domain.validate_handle(req.params["handle"])
        except domain.InvalidField as exc:
            raise errors.InvalidInput(exc.message, details={"field": "handle"}) from exc
        return _with_follow_state(service.profile_by_handle(handle).to_json(), caller), 200

    @router.route("GET", "/v1/users/{id}")
    def get_user(req: Request) -> Response:
        caller = _caller_id(req)
        return _with_follow_state(service.profile(_path_user_id(req)).to_json(), caller), 200

    def _with_follow_state(body: dict[str, Any], caller: str) -> dict[str, Any]:
        # A profile page needs this to draw its follow button; saves the client a second call.
        if caller != body["id"]:
            body["followed_by_me"] = service.graph.is_following(caller, body["id"])
        return body

    @router.route("PUT", "/v1/users/{id}/follow")
    def follow(req: Request) -> Response:
        caller = _caller_id(req)
        changed = service.follow(caller, _path_user_id(req))
        return {"following": True, "changed": changed}, 200

    @router.route("DELETE", "/v1/users/{id}/follow")
    def unfollow(req: Request) -> Response:
        caller = _caller_id(req)
        changed = service.unfollow(caller, _path_user_id(req))
        return {"following": False, "changed": changed}, 200

    @router.route("GET", "/v1/users/{id}/followers")
    def followers(req: Request) -> Response:
        _caller_id(req)
        uid, limit, cursor = _path_user_id(req), _limit(req), _cursor(req)
        return _page(*service.followers(uid, limit, cursor)), 200

    @router.route("GET", "/v1/users/{id}/following")
    def following(req: Request) -> Response:
        _caller_id(req)
        uid, limit, cursor = _path_user_id(req), _limit(req), _cursor(req)
        return _page(*service.following(uid, limit, cursor)), 200

    return router


def _posts_of(c: Container) -> PostCounter | None:
    try:
        return c.posts
    except ImportError:
        # Only when the posts adapter is not in this bundle at all; any other failure of the
        # post store is a real error and must surface, not read as "0 posts".
        log.warning("post store unavailable in this bundle; post_count reads 0")
        return None


def _avatar_source(c: Container) -> Callable[[], AvatarSource]:
    built: list[AvatarSource] = []

    def get() -> AvatarSource:
        if not built:  # on first use: importing the function connects nothing
            built.append(c.media_repo)
        return built[0]

    return get


def service_from(c: Container) -> UsersService:
    return UsersService(
        lambda: c.graph,
        lambda: c.publisher,
        lambda: _posts_of(c),
        avatars=_avatar_source(c),
    )


def build_router(c: Container) -> Router:
    return router_for(service_from(c))
