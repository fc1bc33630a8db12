"""Posting: create, read and delete a post, so that no committed post's event is ever lost.

Write path: check the author and the rate limit -> one Firestore commit (event + read model +
idempotency doc) -> publish the event to ``post-events`` -> mark it published. The publish is
after the commit, so it can fail or the process can die in between; the event then stays
unpublished in the log and the outbox relay (shared/usecases/outbox.py) publishes it on its
next tick. The caller's request succeeds either way: the post exists.

Media (docs/media.md): ``media_ids`` are claimed before the write (404 unknown, 403 someone
else's, 409 not ready), their media_json is stored on the read model and the PostCreated event,
and the media record which posts show them (``attach_to_post``) once the post exists. Deleting a
post deletes its media files, unless another post still shows them.

The rules (who may delete, what an Idempotency-Key replays) are shared/domain/posts.py's; this
module applies them to what the store answers. It sees ports only (shared/ports.py).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from shared import ids, observability
from shared.domain import errors, facets, safety
from shared.domain import posts as domain
from shared.domain.conversations import check_engageable, reply_refs
from shared.domain.media import media_json
from shared.domain.model import Mention, Post, User
from shared.domain.posts import PostEvent
from shared.ports import (
    AuthorDirectory,
    AvatarSource,
    BlockCheck,
    EventPublisher,
    HandleResolver,
    PostMedia,
    PostMediaFiles,
    PostWriter,
    ProfileCards,
    RateLimiter,
    SuspensionCheck,
)

log = logging.getLogger(__name__)

POST_EVENTS_TOPIC = "post-events"


class _KnownAuthors:
    """Registered authors, remembered per instance for a while: one lookup per author per few
    minutes instead of one per post. Profiles are never unregistered, so a stale positive is
    harmless; negatives are not cached, so a fresh sign-up can post at once.

    The directory is resolved on first use (``directory()``): building it may connect to the
    graph, and a cold start must not need Neo4j (nor fail when it is down).
    """

    def __init__(
        self,
        directory: Callable[[], AuthorDirectory],
        ttl_seconds: float = 300,
        size: int = 10_000,
    ) -> None:
        self._directory = directory
        self._ttl = ttl_seconds
        self._size = size
        self._seen: dict[str, tuple[float, User]] = {}

    def get(self, uid: str) -> User | None:
        hit = self._seen.get(uid)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        user = self._directory().get_user(uid)
        if user is not None:
            if len(self._seen) >= self._size:
                self._seen.clear()
            self._seen[uid] = (time.monotonic(), user)
        return user


class PostsService:
    """The posts use cases.

    ``authors`` and ``media_files`` are providers, called on first use: building the graph or
    the media files adapter connects to Neo4j or Cloud Storage, which a post without them (or
    a cold start) must not wait for. Without ``authors`` nobody's profile is checked; without
    ``limiter`` posting is not limited; without ``media`` posts cannot carry media. ``cards``
    (write-through profile cards) answer the response's author from Redis alone; without them,
    or for a card not yet made, the author comes from ``authors`` and ``avatars``.
    """

    def __init__(
        self,
        store: PostWriter,
        publisher: EventPublisher,
        *,
        authors: Callable[[], AuthorDirectory] | None = None,
        limiter: RateLimiter | None = None,
        media: PostMedia | None = None,
        media_files: Callable[[], PostMediaFiles] | None = None,
        avatars: AvatarSource | None = None,
        cards: ProfileCards | None = None,
        topic: str = POST_EVENTS_TOPIC,
        on_reply: Callable[[Post], None] | None = None,
        suspensions: Callable[[], SuspensionCheck] | None = None,
        blocks: Callable[[], BlockCheck] | None = None,
        handles: Callable[[], HandleResolver] | None = None,
    ) -> None:
        self._suspensions = suspensions  # a suspended author cannot post (issue 21)
        self._blocks = blocks  # nobody replies to someone who blocks them, or whom they block
        self._store = store
        self._publisher = publisher
        self._authors = _KnownAuthors(authors) if authors is not None else None
        self._limiter = limiter
        self._media = media
        self._media_files = media_files
        self._avatars = avatars
        self._cards = cards
        self._topic = topic
        # counts a new reply on its parent at once (the post_counter consumer does it anyway)
        self._on_reply = on_reply
        # @mentions resolve to user ids at create time (a provider: the graph, on first use)
        self._handles = handles

    def create(
        self,
        author_id: str,
        text: str,
        idempotency_key: str | None,
        media_ids: Sequence[str] = (),
        alts: dict[str, str] | None = None,
        reply_to: int | None = None,
    ) -> tuple[Post, bool]:
        """(post, created); created is False when an Idempotency-Key replayed an earlier create.

        ``text`` is already normalised (shared.domain.posts.parse_post_draft). A reply
        (``reply_to``) needs a live parent: PostNotFound / PostGone otherwise.
        """
        self.require_author(author_id)
        if self._suspensions is not None:
            self._suspensions().check(author_id)  # 403 account_suspended
        found = facets.mention_facets(text)  # 422 too_many_mentions before anything is spent
        # A keyed retry at the limit also gets 429; after Retry-After it gets its 200 replay.
        self._check_rate(author_id)
        reply = None
        if reply_to is not None:
            parent = check_engageable(reply_to, self._store.get_post(reply_to))
            if self._blocks is not None and parent.author_id != author_id:
                self._blocks().check_not_blocked(author_id, parent.author_id)  # 403 blocked
            reply = reply_refs(parent)
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
            reply=reply,
            hashtags=facets.hashtags(text),
            mentions=self._resolve(found),
        )
        if created:
            self._publish(event)
            if post.reply_to is not None and self._on_reply is not None:
                try:
                    self._on_reply(post)
                except Exception:  # only a head start on the consumer
                    log.warning("reply count of %s not updated", post.reply_to, exc_info=True)
        else:
            domain.check_replay(event, post, text, [str(m["id"]) for m in media], reply_to)
        if post.media:
            # On a replay too (idempotent): it repairs a create whose attach never happened.
            # A failure here is a 500, and the client's keyed retry lands on that replay.
            self._media_port().attach_to_post([str(m["id"]) for m in post.media], post.id)
        return post, created

    def _resolve(self, found: list[facets.Facet]) -> tuple[Mention, ...]:
        """Mentions of users who exist; with the graph down, none (the post matters more than
        its links: it goes out with its @handles as plain text)."""
        if not found or self._handles is None:
            return ()
        try:
            by_key = self._handles().user_ids_by_handles(
                list(dict.fromkeys(f.value for f in found))
            )
        except Exception:
            log.warning("mentions unresolved: the users graph did not answer", exc_info=True)
            return ()
        return facets.resolve_mentions(found, by_key)

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
        """The author as the response shows them (handle, display name, avatar), when it can be
        had cheaply: their profile card, else their profile and avatar (then carded)."""
        uid = post.author_id
        card_missing = False
        if self._cards is not None:
            try:
                card = self._cards.cards([uid]).get(uid)
            except Exception:
                log.warning("profile card of %s unreadable", uid, exc_info=True)
            else:
                if card is not None:
                    return card
                card_missing = True
        if self._authors is None:
            return None
        try:
            author = self._authors.get(uid)
        except Exception:
            return None
        if author is None:
            return None
        if self._avatars is not None:
            try:
                avatar = self._avatars.get_avatars([author.id]).get(author.id)
            except Exception:
                # A picture is not worth failing the request for: the author shows without it.
                log.warning("avatar lookup of %s failed", author.id, exc_info=True)
                return author
            author = dataclasses.replace(author, avatar=media_json(avatar) if avatar else None)
            if card_missing and self._cards is not None:
                try:
                    self._cards.put_cards([author])
                except Exception:
                    # Only a cache: the next read fills it again.
                    log.warning("could not put the card of %s", author.id, exc_info=True)
        return author

    def get(self, post_id: int, viewer: str | None = None) -> Post:
        """The post, for ``viewer``: across a block it is 403 ``blocked``, as its thread is
        (issue 21); a suspended author's post is not found."""
        post = self._store.get_post(post_id)
        if post is None or post.deleted:
            raise errors.NotFound(f"no post {post_id}")
        if viewer is not None and viewer != post.author_id:
            if self._suspensions is not None:
                try:
                    self._suspensions().check(post.author_id)
                except safety.Suspended:
                    raise errors.NotFound(f"no post {post_id}") from None
            if self._blocks is not None:
                self._blocks().check_not_blocked(viewer, post.author_id)
        return post

    def delete(self, caller_id: str, post_id: int) -> None:
        """Delete the caller's post (idempotent for its author) and its media files.

        The author check reads the post before the delete's transaction: a post's author never
        changes and a post is never removed (only tombstoned), so the answer cannot go stale.
        """
        post = self._store.get_post(post_id)
        domain.check_can_delete(caller_id, post_id, post)
        assert post is not None  # check_can_delete refuses unknown posts
        result = self._store.delete_post_once(post_id, trace_id=observability.current_trace())
        if result is None:  # cannot happen (see above), but a store answer is not a promise
            raise errors.NotFound(f"no post {post_id}")
        event, deleted_now = result
        if deleted_now:
            self._publish(event)
        if self._media_files is not None and post.media:
            # The tombstone keeps its media list; a repeated DELETE by the author finishes a
            # file deletion that a crash interrupted (delete_for_post is idempotent).
            self._media_files().delete_for_post(
                caller_id, [str(m["id"]) for m in post.media], post_id
            )

    def remove(self, post_id: int) -> bool:
        """A moderator's removal (shared/usecases/moderation.py): the author's delete without
        the author check; whether this call removed it (False: it was gone already)."""
        post = self._store.get_post(post_id)
        if post is None:
            raise errors.PostNotFound(f"no post {post_id}")
        result = self._store.delete_post_once(post_id, trace_id=observability.current_trace())
        if result is None:
            raise errors.PostNotFound(f"no post {post_id}")
        event, deleted_now = result
        if deleted_now:
            self._publish(event)
        if self._media_files is not None and post.media:
            self._media_files().delete_for_post(
                post.author_id, [str(m["id"]) for m in post.media], post_id
            )
        return deleted_now

    def _check_rate(self, author_id: str) -> None:
        if self._limiter is None:
            return
        try:
            wait = self._limiter.take(author_id)
        except Exception:
            # Posting must survive a Redis outage (the post is safe in Firestore); the limit
            # is abuse control, not correctness, so it fails open for as long as Redis is out.
            log.warning("rate limiter unavailable; post accepted unlimited", exc_info=True)
            return
        if wait is not None:
            raise errors.RateLimited(
                f"at most {self._limiter.limit} posts per {self._limiter.window_seconds} s",
                retry_after_s=wait,
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
