"""The ports: what the services need from the outside world, as Protocols.

Adapters (shared/adapters) implement them on Neo4j, Firestore, Redis and Pub/Sub; unit tests of
pure logic may implement them in memory. shared/bootstrap.py wires the real ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from shared.domain.media import MediaRef
from shared.domain.model import Post, User
from shared.domain.users import (
    FollowResult,
    HandleRefused,
    MissingUser,
    PendingAnnouncement,
    Position,
    UnfollowResult,
    UserPage,
)
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


class UserDirectory(Protocol):
    """Profiles in the social graph (Neo4j)."""

    def create_user(
        self, uid: str, handle: str, display_name: str
    ) -> tuple[User, bool] | HandleRefused:
        """(the stored user, whether this call created it); the user ``uid`` already had when
        it existed (whatever handle it has). HandleRefused when the handle, or a handle it is
        confusable with (same Unicode TR39 skeleton, domain.handle_skeleton), is someone else's."""
        ...

    def get_user(self, uid: str) -> User | None: ...

    def get_user_by_handle(self, handle: str) -> User | None:
        """By handle in any case (handles are unique case-insensitively)."""
        ...


class FollowGraph(Protocol):
    """Follows and the lists they make. A follow or unfollow naming a user the graph does not
    have writes nothing and answers MissingUser; a list of a missing user answers None."""

    def follow_with_state(self, follower_id: str, followee_id: str) -> FollowResult | MissingUser:
        """Create the follow if missing; says whether its event still has to be published."""
        ...

    def unfollow_with_state(
        self, follower_id: str, followee_id: str
    ) -> UnfollowResult | MissingUser:
        """Delete the follow if present, leaving a tombstone until its event is published."""
        ...

    def is_following(self, a: str, b: str) -> bool: ...

    def followers(self, uid: str, limit: int, after: Position | None = None) -> UserPage | None:
        """Who follows ``uid``, newest follow first, starting after ``after``."""
        ...

    def following(self, uid: str, limit: int, after: Position | None = None) -> UserPage | None: ...

    def suggestions(self, uid: str, limit: int) -> list[tuple[User, int, int]] | None:
        """People ``uid`` may know as (user, degree, mutual_count), best first."""
        ...


class FollowAnnouncements(Protocol):
    """Which follow changes still owe their event (graph-side outbox of the social events)."""

    def mark_follow_announced(
        self, follower_id: str, followee_id: str, created_ms: int
    ) -> None: ...

    def mark_unfollow_announced(self, follower_id: str, followee_id: str, at_ms: int) -> None: ...

    def pending_announcements(
        self, limit: int = 500, older_than_ms: int | None = None
    ) -> list[PendingAnnouncement]: ...


class SocialGraph(UserDirectory, FollowGraph, FollowAnnouncements, Protocol):
    """Everything the users use cases need of the graph (Neo4jGraph is one)."""


class PostCounter(Protocol):
    """The post store's count of an author's live posts, for the post_count of a profile."""

    def count_user_posts(self, author_id: str) -> int: ...

    def count_user_posts_many(self, author_ids: Sequence[str]) -> dict[str, int]:
        """Live post counts of many authors (a list page) in one batched read, by id."""
        ...


# ---- posts and the outbox -----------------------------------------------------------------


# ---- media --------------------------------------------------------------------------------


# ---- timelines ----------------------------------------------------------------------------
