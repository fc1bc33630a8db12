"""The posts HTTP function: POST /v1/posts, GET and DELETE /v1/posts/{id}.

Write path: validate -> one Firestore transaction (event + read model + idempotency doc) ->
publish the event to ``post-events`` -> mark it published. The publish is after the commit, so
it can fail or the process can die in between; the event then stays unpublished in the log and
the outbox relay (shared/services/outbox.py) publishes it on its next tick. The caller's request
succeeds either way: the post exists.

Media (docs/media.md): ``media_ids`` are claimed before the write (404 unknown, 403 someone
else's, 409 not ready), their media_json is stored on the read model and the PostCreated event,
and the media record which posts show them (``attach_to_post``) once the post exists. Deleting a
post deletes its media files, unless another post still shows them.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from shared import ids, observability
from shared.adapters.firestore_posts import PostEvent
from shared.domain import errors
from shared.domain import posts as domain
from shared.domain.media import MediaRef, media_json
from shared.domain.model import Post, User
from shared.entrypoints.http.api import Request, Response, Router
from shared.ports import EventPublisher

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger(__name__)

POST_EVENTS_TOPIC = "post-events"


class PostWriter(Protocol):
    """What the service needs from the store (FirestorePosts)."""

    def create_post(
        self,
        author_id: str,
        text: str,
        idempotency_key: str | None,
        post_id: int,
        *,
        trace_id: str | None = None,
        media: Sequence[dict[str, Any]] = (),
    ) -> tuple[Post, PostEvent, bool]: ...

    def delete_post_once(
        self, caller_id: str, post_id: int, *, trace_id: str | None = None
    ) -> tuple[PostEvent, bool]: ...

    def get_post(self, post_id: int) -> Post | None: ...

    def count_recent_events(self, author_id: str, since_ms: int) -> int: ...

    def mark_published(self, published: list[PostEvent]) -> None: ...


class RateLimiter(Protocol):
    """Shared per-user attempt counter (RedisRateLimiter): None admits, else seconds to wait."""

    def hit(self, key: str) -> int | None: ...


class AuthorDirectory(Protocol):
    """Who has registered a profile (Neo4jGraph)."""

    def get_user(self, uid: str) -> User | None: ...


class PostMedia(Protocol):
    """What posts need from media (MediaRepository and MediaService, see _MediaOf)."""

    def claim_for_post(
        self, owner_id: str, media_ids: Sequence[str], alts: dict[str, str] | None = None
    ) -> list[MediaRef]: ...

    def attach_to_post(self, media_ids: Sequence[str], post_id: int) -> None: ...

    def delete_for_post(self, owner_id: str, media_ids: list[str], post_id: int) -> None: ...

    def get_avatars(self, user_ids: Sequence[str]) -> dict[str, MediaRef]: ...


class _KnownAuthors:
    """Registered authors, remembered per instance for a while: one graph lookup per author
    per few minutes instead of one per post. Profiles are never unregistered, so a stale
    positive is harmless; negatives are not cached, so a fresh sign-up can post at once."""

    def __init__(self, directory: AuthorDirectory, ttl_seconds: float = 300, size: int = 10_000):
        self._directory = directory
        self._ttl = ttl_seconds
        self._size = size
        self._seen: dict[str, tuple[float, User]] = {}

    def get(self, uid: str) -> User | None:
        hit = self._seen.get(uid)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        user = self._directory.get_user(uid)
        if user is not None:
            if len(self._seen) >= self._size:
                self._seen.clear()
            self._seen[uid] = (time.monotonic(), user)
        return user


class PostsService:
    def __init__(
        self,
        store: PostWriter,
        publisher: EventPublisher,
        *,
        authors: AuthorDirectory | None = None,
        rate_limit: int = 300,
        rate_window_seconds: int = 60,
        limiter: RateLimiter | None = None,
        topic: str = POST_EVENTS_TOPIC,
        media: PostMedia | None = None,
    ) -> None:
        self._store = store
        self._media = media
        self._publisher = publisher
        self._rate_limit = rate_limit
        self._rate_window_ms = rate_window_seconds * 1000
        self._limiter = limiter
        self._topic = topic
        self._authors = _KnownAuthors(authors) if authors is not None else None

    def create(
        self,
        author_id: str,
        text: str,
        idempotency_key: str | None,
        media_ids: Sequence[str] = (),
        alts: dict[str, str] | None = None,
    ) -> tuple[Post, bool]:
        """(post, created); created is False when an Idempotency-Key replayed an earlier create."""
        self.require_author(author_id)
        # A keyed retry at the limit also gets 429; after Retry-After it gets its 200 replay.
        self._check_rate(author_id)
        media: list[dict[str, Any]] = []
        if media_ids:
            refs = self._media_port().claim_for_post(author_id, list(media_ids), alts)
            media = [media_json(r) for r in refs]
        post, event, created = self._store.create_post(
            author_id,
            text,
            idempotency_key,
            ids.new_id(),
            trace_id=observability.current_trace(),
            media=media,
        )
        if created:
            self._publish(event)
        elif post.deleted:
            raise errors.Conflict("the post created with this Idempotency-Key has been deleted")
        if post.media:
            # On a replay too (idempotent): it repairs a create whose attach never happened.
            # A failure here is a 500, and the client's keyed retry lands on that replay.
            self._media_port().attach_to_post([str(m["id"]) for m in post.media], post.id)
        return post, created

    def _media_port(self) -> PostMedia:
        if self._media is None:
            raise errors.Unavailable("media are not available in this deployment")
        return self._media

    def require_author(self, uid: str) -> User | None:
        """The caller's profile; NotFound when they never registered one.

        When the graph cannot answer, posting goes on without the check (None): the post is
        safe in Firestore, and fan-out needs the graph anyway and retries until it is back.
        """
        if self._authors is None:
            return None
        try:
            user = self._authors.get(uid)
        except Exception:
            log.warning("author lookup failed; accepting the post unchecked", exc_info=True)
            return None
        if user is None:
            raise errors.NotFound("register a profile (POST /v1/users) before posting")
        return user

    def author_of(self, post: Post) -> User | None:
        """The author's profile for the response, when it can be had cheaply."""
        if self._authors is None:
            return None
        try:
            author = self._authors.get(post.author_id)
        except Exception:
            return None
        if author is None or self._media is None:
            return author
        try:
            avatar = self._media.get_avatars([author.id]).get(author.id)
        except Exception:
            # A picture is not worth failing the request for: the author shows without it.
            log.warning("avatar lookup of %s failed", author.id, exc_info=True)
            return author
        return dataclasses.replace(author, avatar=media_json(avatar) if avatar else None)

    def get(self, post_id: int) -> Post:
        post = self._store.get_post(post_id)
        if post is None or post.deleted:
            raise errors.NotFound(f"no post {post_id}")
        return post

    def delete(self, caller_id: str, post_id: int) -> None:
        event, deleted_now = self._store.delete_post_once(
            caller_id, post_id, trace_id=observability.current_trace()
        )
        if deleted_now:
            self._publish(event)
        if self._media is not None:
            # The tombstone keeps its media list; a repeated DELETE by the author finishes a
            # file deletion that a crash interrupted (delete_for_post is idempotent).
            tomb = self._store.get_post(post_id)
            if tomb is not None and tomb.media:
                self._media.delete_for_post(caller_id, [str(m["id"]) for m in tomb.media], post_id)

    def _check_rate(self, author_id: str) -> None:
        if self._rate_limit <= 0:
            return
        if self._limiter is not None:
            try:
                wait = self._limiter.hit(author_id)
            except Exception:
                # Posting must survive a Redis outage (the post is safe in Firestore); the limit
                # is abuse control, not correctness, so it fails open for as long as Redis is out.
                log.warning("rate limiter unavailable; post accepted unlimited", exc_info=True)
                return
            if wait is not None:
                raise errors.RateLimited(
                    f"at most {self._rate_limit} posts per {self._rate_window_ms // 1000} s",
                    retry_after_s=wait,
                )
            return
        # Without a shared limiter (tests of the service alone): count the author's events.
        since = time.time_ns() // 1_000_000 - self._rate_window_ms
        if self._store.count_recent_events(author_id, since) >= self._rate_limit:
            raise errors.RateLimited(
                f"at most {self._rate_limit} posts and deletes per "
                f"{self._rate_window_ms // 1000} s",
                retry_after_s=self._rate_window_ms // 1000,
            )

    def _publish(self, event: PostEvent) -> None:
        try:
            self._publisher.publish(self._topic, event)
        except Exception:
            # Committed already: the outbox relay publishes it later. Failing the request
            # would only make the client retry a write that succeeded.
            log.warning("publish of %s failed; left to the outbox relay", event.event_id,
                        exc_info=True)  # fmt: skip
            return
        try:
            self._store.mark_published([event])
        except Exception:
            # Published but not marked: the relay will publish it again, consumers dedupe.
            log.warning("could not mark %s published", event.event_id, exc_info=True)


def _post_id(req: Request) -> int:
    try:
        return ids.parse_id(req.params["id"])
    except ValueError as exc:
        raise errors.InvalidInput("post id must be a decimal string of up to 19 digits") from exc


def router_for(service: PostsService) -> Router:
    router = Router()

    @router.route("POST", "/v1/posts")
    def create_post(req: Request) -> Response:
        caller = req.caller()
        key = domain.parse_idempotency_key(req.raw.headers.get("Idempotency-Key"))
        new = domain.parse_new_post(req.json())
        post, created = service.create(caller.uid, new.text, key, new.media_ids, new.alts)
        headers = {"Location": f"/v1/posts/{post.id}"}
        return post.to_json(service.author_of(post)), (201 if created else 200), headers

    @router.route("GET", "/v1/posts/{id}")
    def get_post(req: Request) -> Response:
        req.caller()
        post = service.get(_post_id(req))
        return post.to_json(service.author_of(post)), 200

    @router.route("DELETE", "/v1/posts/{id}")
    def delete_post(req: Request) -> Response:
        caller = req.caller()
        service.delete(caller.uid, _post_id(req))
        return None, 204

    return router


class _GraphOf:
    """The container's graph, connected on first use: a cold start must not need Neo4j."""

    def __init__(self, c: Container) -> None:
        self._c = c

    def get_user(self, uid: str) -> User | None:
        return self._c.graph.get_user(uid)


class ContextMedia:
    """PostMedia over the container's media parts, built on first use: a post without media
    never needs them."""

    def __init__(self, context: Callable[[], Container]) -> None:
        self._context = context

    @cached_property
    def _ctx(self) -> Container:
        return self._context()

    def claim_for_post(
        self, owner_id: str, media_ids: Sequence[str], alts: dict[str, str] | None = None
    ) -> list[MediaRef]:
        return self._ctx.media_service.claim_for_post(owner_id, media_ids, alts)

    def attach_to_post(self, media_ids: Sequence[str], post_id: int) -> None:
        self._ctx.media_service.attach_to_post(media_ids, post_id)

    def delete_for_post(self, owner_id: str, media_ids: list[str], post_id: int) -> None:
        self._ctx.media_service.delete_for_post(owner_id, media_ids, post_id)

    def get_avatars(self, user_ids: Sequence[str]) -> dict[str, MediaRef]:
        return self._ctx.media_repo.get_avatars(user_ids)


def service_from(c: Container) -> PostsService:
    from shared.adapters.redis_ratelimit import RedisRateLimiter

    return PostsService(
        c.posts,
        c.publisher,
        authors=_GraphOf(c),
        rate_limit=c.settings.post_rate_limit,
        rate_window_seconds=c.settings.post_rate_window_seconds,
        # Enforced in Redis: every instance of the function shares one window per user.
        limiter=RedisRateLimiter(
            c.redis, "posts", c.settings.post_rate_limit, c.settings.post_rate_window_seconds
        ),
        media=ContextMedia(lambda: c),
    )


def build_router(c: Container) -> Router:
    return router_for(service_from(c))
