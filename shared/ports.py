"""The ports: what the services need from the outside world, as Protocols.

Adapters (shared/adapters) implement them on Neo4j, Firestore, Redis and Pub/Sub; unit tests of
pure logic may implement them in memory. shared/bootstrap.py wires the real ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from shared.domain.media import MediaRecord, MediaRef, NewMedia, StoredVariant
from shared.domain.model import Post, User
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


class RateLimiter(Protocol):
    """A per-key sliding window shared by every instance (RedisRateLimiter)."""

    def hit(self, key: str) -> int | None:
        """Count one attempt: None when admitted, else whole seconds to wait (>= 1)."""
        ...


class Storage(Protocol):
    """What media needs from Cloud Storage (GcsMedia): the private uploads, the public variants."""

    uploads_bucket: str

    def create_upload_session(
        self,
        object_name: str,
        content_type: str,
        size: int,
        metadata: dict[str, str],
        origin: str | None,
    ) -> str:
        """A session URL the browser PUTs exactly that one object to."""
        ...

    def read_upload(self, object_name: str, generation: int, max_bytes: int) -> bytes | None: ...

    def delete_upload(self, object_name: str, generation: int) -> None: ...

    def write_variant(self, object_name: str, data: bytes, content_type: str) -> None: ...

    def delete_variants(self, media_id: str) -> int: ...


class MediaRecords(Protocol):
    """The media records and avatar choices (MediaRepository on Firestore).

    It returns records and refs and decides no authorization; the few writes whose check must
    be atomic with them (set_avatar, release_from_post) apply the rules of shared/domain/media.
    """

    def create_pending(self, media_id: str, owner_id: str, new: NewMedia) -> MediaRecord: ...

    def get(self, media_id: str) -> MediaRecord | None: ...

    def get_many(self, media_ids: Iterable[str]) -> dict[str, MediaRecord]: ...

    def ref_of(self, rec: MediaRecord, alt: str | None = None) -> MediaRef:
        """The ref to embed, with this deployment's public URLs."""
        ...

    def finish_ready(
        self,
        media_id: str,
        generation: int,
        source_type: str,
        width: int,
        height: int,
        variants: Sequence[StoredVariant],
    ) -> bool:
        """pending -> ready, once; False when another delivery decided it already."""
        ...

    def finish_rejected(self, media_id: str, generation: int, reason: str, message: str) -> bool:
        """pending -> rejected, once; False when another delivery decided it already."""
        ...

    def attach_to_post(self, media_ids: Sequence[str], post_id: int) -> None: ...

    def release_from_post(self, owner_id: str, media_ids: Iterable[str], post_id: int) -> list[str]:
        """Detach a deleted post; the ids no post shows any more, now marked deleted."""
        ...

    def mark_deleted(self, owner_id: str, media_ids: Iterable[str]) -> list[str]:
        """Mark the owner's live media deleted; the ids whose files can go."""
        ...

    def set_avatar(self, owner_id: str, media_id: str | None) -> tuple[MediaRef | None, str | None]:
        """(the new avatar's ref or None when cleared, the previous media id if it changed)."""
        ...


# ---- timelines ----------------------------------------------------------------------------
