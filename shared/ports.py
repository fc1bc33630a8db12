"""The ports: what the services need from the outside world, as Protocols.

Adapters (shared/adapters) implement them on Neo4j, Firestore, Redis and Pub/Sub; unit tests of
pure logic may implement them in memory. shared/bootstrap.py wires the real ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from shared.domain.fanout import Mode
from shared.domain.media import MediaRef
from shared.domain.model import Post, User
from shared.domain.timeline import ReaderState, Recorded, Round, Source, TimelinePost
from shared.events import _Event


class EventPublisher(Protocol):
    def publish(self, topic: str, event: _Event) -> None:
        """Publish and wait for the server's ack; raises when it was not accepted."""


class FollowerSource(Protocol):
    """The slice of the social graph the timeline engine reads."""

    def follower_count(self, user_id: str) -> int: ...

    def iter_follower_pages(self, user_id: str, page_size: int = 1000) -> Iterator[list[str]]:
        """Every follower id of ``user_id``, in pages, without holding them all in memory."""
        ...

    def following_ids(self, user_id: str) -> list[str]: ...

    def get_users(self, ids: Iterable[str]) -> dict[str, User]: ...


class PostStore(Protocol):
    """The post read model (Firestore) the timeline engine falls back to."""

    def get_posts(self, ids: Sequence[int]) -> dict[int, Post]:
        """Posts by id in one round trip; deleted posts come back with deleted=True."""
        ...

    def list_user_posts(self, author_id: str, limit: int, before: int | None = None) -> list[Post]:
        """An author's live posts, newest first, with ids below ``before``."""
        ...


class AvatarSource(Protocol):
    """Avatars by user id (the media repository): one batched read for many users."""

    def get_avatars(self, user_ids: Iterable[str]) -> dict[str, MediaRef]: ...


class ProfileCards(Protocol):
    """What a page shows of a person (handle, display name, avatar), kept write-through in
    Redis so that reading a timeline or creating a post needs neither Neo4j nor Firestore.

    A card is a ``User`` whose counts are not filled in. Registration and profile changes put
    the card, an avatar change updates it; a card missing (evicted, Redis wiped) is filled on
    read from the graph and the media repository, then put.
    """

    def cards(self, user_ids: Sequence[str]) -> dict[str, User]:
        """The cards found, by id; missing ones are simply absent."""
        ...

    def put_cards(self, users: Iterable[User]) -> None: ...

    def set_avatar(self, user_id: str, avatar: dict[str, Any] | None) -> None:
        """The user's avatar changed (media_json, or None when removed); no-op without a card."""
        ...


# ---- users (graph) ------------------------------------------------------------------------


# ---- posts and the outbox -----------------------------------------------------------------


# ---- media --------------------------------------------------------------------------------


# ---- timelines ----------------------------------------------------------------------------


class TimelineStore(Protocol):
    """Home and own timelines, the fan-out's per-post state and the readers' activity (Redis).

    Every operation is idempotent or guarded (SET NX, tombstones), so a redelivered event leaves
    the store as one delivery did. shared/adapters/redis_timeline.py says which operations span
    several keys' slots (issue 19).
    """

    # the planner
    def record_posts(self, posts: Sequence[TimelinePost]) -> list[Recorded]:
        """Add posts (in order) to their authors' timelines; report each author's pace."""
        ...

    def commit_modes(self, decisions: Sequence[tuple[int, str, Mode]]) -> list[Mode]:
        """Record each (post id, author, mode) unless one is recorded; the final modes."""
        ...

    def delete_post(self, post_id: int, author_id: str) -> Mode | None:
        """Tombstone a post, drop it from its author's timeline; its recorded mode, if any."""
        ...

    def active_among(self, uids: Sequence[str]) -> list[str]: ...

    def free_inactive(self, uids: Sequence[str]) -> int: ...

    # the writer
    def apply_batch(self, op: str, post_id: int, recipients: Sequence[str]) -> int:
        """Add or remove one post in many home timelines; -1 when it was deleted meanwhile."""
        ...

    # follow sync
    def recent_entries(self, author_id: str, n: int) -> list[tuple[int, int]]: ...

    def follow(self, follower: str, followee: str, entries: Sequence[tuple[int, int]]) -> int: ...

    def unfollow(self, follower: str, followee: str) -> int: ...

    # reads
    def reader_state(self, uid: str) -> ReaderState: ...

    def store_followees(self, uid: str, followees: Iterable[str]) -> None: ...

    def followees(self, uid: str) -> frozenset[str]: ...

    def pull_authors_of(self, followees: Iterable[str]) -> list[str]: ...

    def round(
        self,
        sources: Sequence[Source],
        before: int | None,
        limit: int,
        owner: str,
        *,
        home: bool,
        truncate_empty: bool = False,
    ) -> Round:
        """One page round in one round trip: merge, bodies, tombstones, cards, follow flags."""
        ...

    def author_info(
        self, reader: str | None, authors: Sequence[str]
    ) -> tuple[set[str], dict[str, User]]:
        """(which ``authors`` the reader follows, their profile cards), one round trip."""
        ...

    def cache_posts(self, posts: Iterable[Post]) -> None: ...

    # regeneration and the rebuild
    def try_lock_regeneration(self, uid: str) -> bool: ...

    def unlock_regeneration(self, uid: str) -> None: ...

    def regenerate(self, uid: str, followees: Iterable[str]) -> int:
        """Rebuild the home timeline from the followees' own timelines; marks the user active."""
        ...

    def restore_author(self, uid: str, posts: Sequence[Post], *, puller: bool) -> None:
        """Replace the author's own timeline with their live ``posts`` (the rebuild)."""
        ...


class RebuildCheckpoint(Protocol):
    """Where the timeline rebuild stands (usecases.rebuild), kept outside Redis."""

    phase: str  # "authors", "homes" or "done"
    after: str  # the last user id done in this phase ("" = none yet)

    def save(self) -> None: ...
