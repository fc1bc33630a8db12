"""The ports: what the services need from the outside world, as Protocols.

Adapters (shared/adapters) implement them on Neo4j, Firestore, Redis and Pub/Sub; unit tests of
pure logic may implement them in memory. shared/bootstrap.py wires the real ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from shared import events
from shared.domain.conversations import Kind, Switch
from shared.domain.fanout import Mode
from shared.domain.media import MediaRecord, MediaRef, NewMedia, StoredVariant
from shared.domain.model import Engagement, Mention, Post, User
from shared.domain.notifications import Activity as NotificationActivity
from shared.domain.notifications import Added, Group, StoredGroup
from shared.domain.posts import PostEvent
from shared.domain.safety import BlockedPair
from shared.domain.safety import Kind as SafetyKind
from shared.domain.timeline import (
    ReaderState,
    Recorded,
    RepostRound,
    Round,
    Source,
    TimelinePost,
)
from shared.domain.users import (
    FollowResult,
    HandleRefused,
    MissingUser,
    PendingAnnouncement,
    Position,
    ProfileChange,
    UnfollowResult,
    UserPage,
)
from shared.events import EngagementEvent, _Event
from shared.sealing import DataKeys as DataKeys  # the per-user data keys (crypto-shredding)


class EventPublisher(Protocol):
    def publish(self, topic: str, event: _Event) -> None:
        """Publish and wait for the server's ack; raises when it was not accepted."""


class RawPublisher(Protocol):
    """Publishing bytes as they are (dead letters, redriven messages): no event encoding."""

    def publish_raw(self, topic: str, data: bytes, attributes: dict[str, str]) -> None: ...


class FollowerSource(Protocol):
    """The slice of the social graph the timeline engine reads."""

    def follower_count(self, user_id: str) -> int: ...

    def iter_follower_pages(self, user_id: str, page_size: int = 1000) -> Iterator[list[str]]:
        """Every follower id of ``user_id``, in pages, without holding them all in memory."""
        ...

    def following_ids(self, user_id: str) -> list[str]: ...

    def followers_among(self, uid: str, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` follow ``uid``."""
        ...

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

    def update_profile(self, uid: str, change: ProfileChange) -> User | HandleRefused | None:
        """The user as changed in one commit (a new handle frees the old one at once); None when
        there is no such user; HandleRefused when the new handle is someone else's."""
        ...


class FollowGraph(Protocol):
    """Follows and the lists they make. A follow or unfollow naming a user the graph does not
    have writes nothing and answers MissingUser; a list of a missing user answers None."""

    def follow_with_state(
        self, follower_id: str, followee_id: str
    ) -> FollowResult | MissingUser | BlockedPair:
        """Create the follow if missing; says whether its event still has to be published.
        BlockedPair when one of the two blocks the other (issue 21): nothing is written."""
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

    def popular(self, limit: int) -> list[User]:
        """The ``limit`` most-followed accounts, best first (a whole-graph read: cache it)."""
        ...

    def followed_among(self, uid: str, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` ``uid`` follows."""
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


class PostWriter(Protocol):
    """The write side of posts and their event log (FirestorePosts): facts, no rules."""

    def create_post(
        self,
        author_id: str,
        text: str,
        idempotency_key: str | None,
        post_id: int,
        *,
        trace_id: str | None = None,
        media: Sequence[dict[str, Any]] = (),
        reply: tuple[int, int, str] | None = None,
        hashtags: Sequence[str] = (),
        mentions: Sequence[Mention] = (),
    ) -> tuple[Post, events.PostCreated, bool]:
        """(post, event, created); created is False when the key was used before, and then
        post and event are that first request's. ``reply``: (reply_to, root_id, its author)."""
        ...

    def delete_post_once(
        self, post_id: int, *, trace_id: str | None = None
    ) -> tuple[events.PostDeleted, bool] | None:
        """Tombstone and append PostDeleted: (event, deleted_now); None for an unknown post."""
        ...

    def get_post(self, post_id: int) -> Post | None:
        """The post, tombstones included (deleted=True); None when it never existed."""
        ...

    def mark_published(self, published: list[PostEvent]) -> None: ...


class RateLimiter(Protocol):
    """A sliding window of attempts per key, shared by every instance (RedisRateLimiter).

    ``take(key)`` counts one attempt: None when it is admitted, else the whole seconds (>= 1)
    until one would be (the Retry-After). Refused attempts are not counted. A ``limit`` of 0 or
    less admits everything. Store errors propagate: the caller decides whether to fail open.
    """

    @property
    def limit(self) -> int: ...

    @property
    def window_seconds(self) -> int: ...

    def take(self, key: str) -> int | None: ...


class RateLimits(Protocol):
    """Several sliding windows counted at once (RedisRateLimiter.take_all): the write limits of
    shared/domain/limits.py. One attempt goes into every window ``(key, limit, seconds)`` or,
    when one is full, into none: None, or the whole seconds until all would admit it."""

    def take_all(self, windows: Sequence[tuple[str, int, int]]) -> int | None: ...


class AuthorDirectory(Protocol):
    """Who has registered a profile (Neo4jGraph)."""

    def get_user(self, uid: str) -> User | None: ...


class PostMedia(Protocol):
    """The media records posts claim and attach (the media repository, on Firestore)."""

    def claim_for_post(
        self, owner_id: str, media_ids: Sequence[str], alts: dict[str, str] | None = None
    ) -> list[MediaRef]:
        """The caller's ready media, as they go on the post; refuses others' or unready ones."""
        ...

    def attach_to_post(self, media_ids: Sequence[str], post_id: int) -> None: ...


class PostMediaFiles(Protocol):
    """Deleting a deleted post's media (the media use case: records and files)."""

    def delete_for_post(self, owner_id: str, media_ids: list[str], post_id: int) -> None:
        """Idempotent; media another post still shows are kept."""
        ...


class AsyncPublisher(Protocol):
    def publish_async(self, topic: str, event: PostEvent) -> Future[str]: ...


class Outbox(Protocol):
    """The post events committed but not yet acknowledged by Pub/Sub (FirestorePosts)."""

    def unpublished_events(
        self, limit: int, older_than_ms: int | None = None
    ) -> Sequence[PostEvent]: ...

    def mark_published(self, published: list[PostEvent]) -> None: ...


class EventLog(Protocol):
    """The post event log in time order (FirestorePosts), for republishing history."""

    def count_events(self, since_ms: int | None = None, until_ms: int | None = None) -> int: ...

    def iter_events(
        self, since_ms: int | None = None, until_ms: int | None = None, page_size: int = 500
    ) -> Iterator[PostEvent]: ...


class ResealableEventLog(EventLog, Protocol):
    """The event log, rewritable in place for the one-off sealing of old events."""

    def replace_event_data(self, event: PostEvent) -> None: ...


# One tick's relay of the graph's unannounced follow/unfollow events: how many it published.
SocialRelay = Callable[[], int]


@dataclass(frozen=True)
class PulledMessage:
    """A message pulled from a subscription, as it was published."""

    ack_id: str
    message_id: str
    data: bytes
    attributes: dict[str, str]


class SubscriptionAdmin(Protocol):
    """Pub/Sub's operator side (PubSubAdmin): seek, snapshots, pulling a subscription by hand."""

    def seek_to_time(self, subscription: str, when: dt.datetime) -> None: ...

    def seek_to_snapshot(self, subscription: str, snapshot: str) -> None: ...

    def create_snapshot(self, subscription: str, name: str) -> None: ...

    def pull(self, subscription: str, max_messages: int) -> list[PulledMessage]: ...

    def ack(self, subscription: str, ack_ids: list[str]) -> None: ...

    def release(self, subscription: str, ack_ids: list[str]) -> None:
        """Hand the messages back at once (ack deadline 0) without acking them."""
        ...

    def publish_raw_many(self, topic: str, messages: list[tuple[bytes, dict[str, str]]]) -> None:
        """Publish all, then wait for every ack."""
        ...


# ---- media --------------------------------------------------------------------------------


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
        viewer: str | None = None,
    ) -> Round:
        """One page round in one round trip: merge, bodies, tombstones, cards, follow flags,
        and the posts' engagement for ``viewer`` (default ``owner``)."""
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

    # reposts (issue 20): a repost is a timeline entry of its own (shared.domain.reposts)
    def record_repost(
        self, post_id: int, reposter: str, reposted_ms: int
    ) -> tuple[int, Recorded] | None:
        """Bind the repost's entry id and add it to the reposter's own timeline; (entry, what
        recording saw), or None when the original is deleted or the repost was removed."""
        ...

    def remove_repost(
        self, post_id: int, reposter: str, reposted_ms: int
    ) -> tuple[int, Mode | None] | None:
        """Un-repost: tombstone the entry, drop it from the reposter's own timeline; (entry,
        its mode), or None when none is known."""
        ...

    def reposts_of(self, post_id: int) -> list[tuple[str, int]]:
        """Every (reposter, entry) of a post (a deletion cascades to them)."""
        ...

    def apply_repost_batch(
        self, op: str, entry: int, original: int, recipients: Sequence[str]
    ) -> int:
        """Add (de-duplicated) or remove a repost entry in many home timelines."""
        ...

    def repost_round(
        self, reader: str, originals: Sequence[int], known: Collection[str] = ()
    ) -> RepostRound:
        """The originals of a page's reposts, who reposted them (and which of those the reader
        follows), and the profile cards not ``known`` of their authors and newest reposters."""
        ...


class RebuildCheckpoint(Protocol):
    """Where the timeline rebuild stands (usecases.rebuild), kept outside Redis."""

    phase: str  # "authors", "homes" or "done"
    after: str  # the last user id done in this phase ("" = none yet)

    def save(self) -> None: ...


# ---- accounts: erasure and export (issue 23, docs/privacy.md) ------------------------------


class AccountData(Protocol):
    """What the document store holds about one person (shared/adapters/firestore_account.py)."""

    def erasure_status(self, uid: str) -> tuple[str, int | None] | None:
        """(``deleting`` | ``deleted``, when it was done) once a deletion was asked; else None."""
        ...

    def mark_deleting(self, uid: str) -> None: ...

    def mark_deleted(self, uid: str) -> None: ...

    def posts_of(self, uid: str) -> list[Post]:
        """Every post of theirs in the read model, deleted ones included."""
        ...

    def logged_post_ids(self, uid: str) -> set[int]: ...

    def media_of(self, uid: str) -> list[MediaRecord]: ...

    def delete_all(self, uid: str) -> int:
        """Delete every document of theirs; idempotent."""
        ...

    def delete_export_record(self, uid: str) -> None: ...


class AccountGraph(Protocol):
    def get_user(self, uid: str) -> User | None: ...

    def mark_deleted(self, uid: str) -> bool:
        """Hide the user from every lookup at once; False when there is no such user."""
        ...

    def erase_user(self, uid: str) -> int: ...

    def iter_follower_pages(self, user_id: str, page_size: int = 1000) -> Iterator[list[str]]: ...

    def following_ids(self, user_id: str) -> list[str]: ...


class TimelineErasure(Protocol):
    def erase(self, uid: str, post_ids: Iterable[int], followers: Sequence[str]) -> int:
        """Their posts out of every timeline, every key of theirs deleted; idempotent."""
        ...

    def delete_keys_naming(self, uid: str) -> int: ...

    def erase_reposts(self, uid: str, post_ids: Iterable[int], followers: Sequence[str]) -> None:
        """Their reposts of these posts out of every timeline; idempotent."""
        ...

    def forget_engagement(self, post_ids: Iterable[int]) -> None:
        """The posts' counters dropped, to be rebuilt from the records on the next read."""
        ...

    def forget_bodies(self, post_ids: Iterable[int]) -> None:
        """The posts' cached bodies dropped, to be cached again from the store."""
        ...


class MentionErasure(Protocol):
    """Others' posts that mention a person (shared/adapters/firestore_posts.py)."""

    def posts_mentioning(self, user_id: str) -> list[int]: ...

    def forget_mentions_of(self, user_id: str, post_ids: Sequence[int]) -> int: ...


class RepostRecords(Protocol):
    def reposts_by(self, user_id: str, limit: int) -> list[tuple[int, int]]:
        """(post id, reposted ms) of the user's reposts that are on, newest first."""
        ...


class EngagementErasure(Protocol):
    """A person's likes and reposts in the store (shared/adapters/firestore_engagement.py)."""

    def switches_of_user(self, user_id: str) -> list[Switch]: ...

    def switches_on_posts_by(self, author_id: str) -> list[Switch]: ...

    def delete_switches(self, switches: Sequence[Switch]) -> int: ...


class MediaObjects(Protocol):
    def delete_variants(self, media_id: str) -> int: ...

    def delete_upload_object(self, object_name: str) -> None: ...


class SignInAccounts(Protocol):
    def delete(self, uid: str) -> None:
        """Delete the sign-in account (Firebase Auth); nothing to do when it is gone."""
        ...


class KeyShredder(Protocol):
    def destroy(self, user_id: str) -> bool:
        """Destroy the user's data key: every event sealed with it becomes unreadable."""
        ...


# ---- conversations: replies, likes, reposts (shared/usecases/engagement.py) ----------------


class EngagementCounters(Protocol):
    """Per-post counts and the records behind them, derived from the store (Redis)."""

    def apply(self, s: Switch) -> int | None:
        """Apply one switch (idempotent by version); the count, None when incomplete."""
        ...

    def rebuild(self, post_id: int, records: Sequence[Switch]) -> Engagement:
        """Merge the store's records and complete the post's counts."""
        ...

    def read(self, post_ids: Sequence[int], viewer: str | None) -> dict[int, Engagement | None]:
        """Each post's engagement for the viewer; None where the counts are incomplete."""
        ...


class EngagementRecords(Protocol):
    """Like and repost records, one per (user, post), and their outbox (Firestore)."""

    def switch(
        self, kind: Kind, post: Post, user_id: str, active: bool, *, trace_id: str | None = None
    ) -> tuple[Switch, EngagementEvent | None]: ...

    def get_switch(self, kind: Kind, post_id: int, user_id: str) -> Switch | None: ...

    def switches_of_post(self, post_id: int) -> list[Switch]: ...

    def count_active(self, kind: Kind, post_id: int) -> int: ...

    def likers(self, post_id: int, limit: int, before: str | None) -> list[tuple[str, str]]: ...

    def liked_by(self, user_id: str, limit: int, before: str | None) -> list[tuple[int, str]]: ...

    def unpublished_events(
        self, limit: int, older_than_ms: int | None = None
    ) -> list[EngagementEvent]: ...

    def mark_published(self, published: Sequence[EngagementEvent]) -> None: ...


class ThreadStore(Protocol):
    """Posts as threads see them (Firestore): one post, many, a post's direct replies."""

    def get_post(self, post_id: int) -> Post | None: ...

    def get_posts(self, ids: Sequence[int]) -> dict[int, Post]: ...

    def list_replies(
        self, post_id: int, limit: int, after: int | None = None, *, newest: bool = False
    ) -> list[Post]: ...

    def reply_ids(self, post_id: int) -> list[tuple[int, bool]]: ...


# ---- search and trends (issue 22; docs/search.md) ------------------------------------------


@dataclass(frozen=True)
class IndexedPost:
    """What the search index holds of a live post (its text read by
    shared.usecases.search.indexed_text, the one place that reads it)."""

    id: int
    author_id: str
    text: str
    created_ms: int
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchPage:
    """Post ids of one page, best or newest first, and the sort values of its last hit (the
    next cursor) when there may be more."""

    ids: list[int]
    after: list[float | int] | None


class PostSearchIndex(Protocol):
    """The posts index (OpenSearch). Writes are idempotent and ordered by version: a
    redelivered create writes the same document; a tombstone outranks every create, so a late
    create never brings a deleted post back."""

    def ensure_index(self) -> None: ...

    def drop_index(self) -> None: ...

    def index_posts(self, posts: Sequence[IndexedPost]) -> None: ...

    def tombstone_posts(self, posts: Sequence[tuple[int, str, int]]) -> None:
        """(post id, author id, created_ms) of deleted posts."""
        ...

    def live_tag_accounts(self, tags: Sequence[str], since_ms: int) -> dict[str, int]:
        """Distinct authors of live (not deleted) posts per tag since ``since_ms``."""
        ...

    def search_posts(
        self,
        query: Any,
        author_id: str | None,
        limit: int,
        after: Sequence[float | int] | None,
    ) -> SearchPage:
        """``query`` is a shared.domain.search.PostQuery."""
        ...

    def tag_posts(self, tag: str, limit: int, after: Sequence[float | int] | None) -> SearchPage:
        """Live posts with hashtag ``tag``, newest first."""
        ...

    def count_live(self) -> int: ...


class PeopleIndex(Protocol):
    """The users index (OpenSearch), for typeahead and from:handle."""

    def ensure_index(self) -> None: ...

    def index_users(self, users: Sequence[User]) -> None: ...

    def search_users(self, prefix: str, limit: int) -> list[str]:
        """User ids whose handle or a word of whose name starts with ``prefix``, best first."""
        ...

    def uid_of_handle(self, handle: str) -> str | None: ...


class PeopleLookup(Protocol):
    """The slice of the graph the search reads (Neo4jGraph)."""

    def get_users(self, ids: Iterable[str]) -> dict[str, User]: ...

    def get_user_by_handle(self, handle: str) -> User | None: ...


class TrendCounter(Protocol):
    """Distinct accounts per hashtag per hour and per day (Redis HyperLogLogs)."""

    def count(self, uses: Sequence[tuple[str, int, Sequence[str]]]) -> None:
        """(author id, created_ms, hashtags) of posts: each author into each tag's hour and
        day; idempotent (a set), O(1) per post and tag."""
        ...

    def window_counts(self, now_ms: int) -> dict[str, int]:
        """Every tag used in the window ending at ``now_ms``: its distinct accounts there."""
        ...

    def count_deleted(self, uses: Sequence[tuple[str, int, Sequence[str]]]) -> None:
        """(author id, created_ms, hashtags) of deleted posts: their tags to be recounted."""
        ...

    def recounts(self, now_ms: int) -> set[str]:
        """Tags that lost a post within the window ending at ``now_ms``."""
        ...

    def daily_counts(self, tags: Sequence[str], now_ms: int) -> dict[str, list[int]]:
        """Distinct accounts of each tag on each baseline day (domain.trends.baseline_days)."""
        ...


class ExportFiles(Protocol):
    """The private exports bucket (shared/adapters/gcs_exports.py)."""

    def put(self, object_name: str, data: bytes) -> None: ...

    def signed_url(self, object_name: str, ttl: dt.timedelta) -> str: ...

    def delete_prefix(self, prefix: str) -> int: ...


class ExportRecords(Protocol):
    def export_record(self, uid: str) -> dict[str, Any] | None: ...

    def save_export_record(self, uid: str, record: dict[str, Any]) -> None: ...

    def delete_export_record(self, uid: str) -> None: ...

    def update_export_record(
        self, uid: str, export_id: str, fields: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Atomically, only while the record is export ``export_id``'s; None otherwise."""
        ...

    def unpublished_exports(self, limit: int, older_than_ms: int) -> list[dict[str, Any]]:
        """Records (with ``user_id``) whose event Pub/Sub never acked, created before then."""
        ...


class LikesOf(Protocol):
    def liked_by(self, user_id: str, limit: int, before: str | None) -> list[tuple[int, str]]: ...


# ---- safety: blocks, mutes, suspension, reports (issue 21; docs/safety.md) -------------------


class NotificationForgetting(Protocol):
    def forget_actor(self, actor: str) -> int:
        """An erased account out of every notification row that shows it."""
        ...


class Silencing(Protocol):
    """Whom a user does not want to hear from, or may not: the notifications consumer and the
    timeline reader ask this (Container.silencing)."""

    def silenced(self, uid: str, others: Collection[str]) -> set[str]:
        """Which of ``others`` ``uid`` blocks or mutes, or is blocked by."""
        ...


class BlockLookup(Protocol):
    """Who is hidden from a user everywhere: blocked by them or blocking them
    (shared/usecases/safety.py SilencingService)."""

    def blocked_among(self, uid: str, others: Collection[str]) -> set[str]: ...


class SilenceGraph(Protocol):
    """Blocks and mutes in the graph, the truth (shared/adapters/neo4j_safety.py)."""

    def set_relation(self, kind: SafetyKind, a: str, b: str, on: bool) -> MissingUser | int | None:
        """Block/mute (``on``: its created ms) or lift it; MissingUser when one is missing."""
        ...

    def relations(self, uid: str) -> dict[str, str]:
        """Every relation of ``uid``: other id -> flags (shared.domain.safety)."""
        ...

    def blocked_either(self, a: str, b: str) -> bool: ...

    def list_relations(
        self, kind: SafetyKind, uid: str, limit: int, after: tuple[int, str] | None
    ) -> list[tuple[str, int]]:
        """(other id, created ms) of ``uid``'s blocks or mutes, newest first, after ``after``."""
        ...


class SilenceCache(Protocol):
    """The relations cached per user (shared/adapters/redis_silencing.py)."""

    def flags(self, uid: str, others: Sequence[str]) -> tuple[dict[str, str] | None, str]: ...

    def apply(self, uid: str, other: str, flag: str, on: bool) -> None: ...

    def fill(self, uid: str, version: str, relations: Mapping[str, str]) -> bool: ...


class SuspensionGraph(Protocol):
    def set_suspended(self, uid: str, on: bool) -> bool:
        """Whether the user exists."""
        ...

    def suspended_among(self, ids: Iterable[str]) -> set[str]: ...


class SuspensionCache(Protocol):
    def states(self, ids: Sequence[str]) -> dict[str, bool]:
        """The cached states found (missing ones absent)."""
        ...

    def put(self, states: Mapping[str, bool]) -> None: ...


class ModerationStore(Protocol):
    """Reports and the audit log (Firestore: shared/adapters/firestore_moderation.py)."""

    def add_report(self, report: dict[str, Any]) -> bool:
        """Store the report under its id; False when that id exists (a retried request)."""
        ...

    def open_reports(
        self, limit: int, after: str | None
    ) -> tuple[list[dict[str, Any]], str | None]: ...

    def close_reports(self, subject: str, target: str, by: str, action: str) -> int: ...

    def get_report(self, report_id: str) -> dict[str, Any] | None: ...

    def close_report(self, report_id: str, by: str, action: str) -> bool:
        """Whether the report exists (closing a closed one changes nothing)."""
        ...

    def set_moderator(self, uid: str, on: bool, at_ms: int) -> None: ...

    def is_moderator(self, uid: str) -> bool:
        """The granted record: a revoked moderator's tokens keep the claim until they expire."""
        ...

    def audit(self, entry: dict[str, Any]) -> None:
        """Append one moderator action (idempotent by the entry's id)."""
        ...

    def audit_log(
        self, limit: int, after: str | None
    ) -> tuple[list[dict[str, Any]], str | None]: ...


class RoleGrants(Protocol):
    """Firebase Auth custom claims (shared/adapters/firebase_accounts.py)."""

    def set_role(self, uid: str, role: str, on: bool) -> bool:
        """Whether the account exists; keeps the account's other claims."""
        ...


class SuspensionCheck(Protocol):
    def check(self, uid: str) -> None:
        """Raise 403 ``account_suspended`` when ``uid`` is suspended (cannot post or follow)."""
        ...


# ---- mentions and notifications (issue 21; docs/notifications.md) ----------------------------


class HandleResolver(Protocol):
    """Handles to user ids, many at once (the users graph)."""

    def user_ids_by_handles(self, handles: Sequence[str]) -> dict[str, str]:
        """handle_key (lower-cased handle) -> user id, for the handles of live users; others
        are simply absent."""
        ...


class NotificationStore(Protocol):
    """The recipients' rows in Redis (shared/adapters/redis_notifications.py)."""

    def add(self, a: NotificationActivity, now_ms: int) -> Added | None:
        """None when the recipient's rows are not loaded (restore them first)."""
        ...

    def restore(self, uid: str, groups: Sequence[StoredGroup], read_mark: int) -> None: ...

    def page(self, uid: str, before: int | None, limit: int) -> tuple[int, int, list[Group]] | None:
        """(read mark, unread, rows newest first below ``before``); None when not loaded."""
        ...

    def unread(self, uid: str) -> int | None: ...

    def mark_read(self, uid: str, seq: int) -> tuple[int, int] | None:
        """(read mark, unread) after moving the mark forward; None when not loaded."""
        ...

    def forget_actor(self, uid: str, actor: str) -> list[tuple[str, str | None]]:
        """``actor`` out of ``uid``'s rows: (row id, new row or None when it went)."""
        ...


class NotificationArchive(Protocol):
    """The durable copy of the rows and read marks (Firestore): what a Redis wipe restores."""

    def put(self, uid: str, group: StoredGroup, at_ms: int) -> None: ...

    def load(self, uid: str, limit: int) -> tuple[list[StoredGroup], int]:
        """(the newest ``limit`` rows, newest first; the read mark)."""
        ...

    def set_read(self, uid: str, read: int) -> None: ...

    def rows_naming(self, actor: str) -> list[tuple[str, StoredGroup]]:
        """(recipient, row) of every row that shows ``actor``."""
        ...

    def replace_row(self, uid: str, group_id: str, row: str | None) -> None: ...


class UsersById(Protocol):
    def get_users(self, ids: Iterable[str]) -> dict[str, User]: ...


class FollowCheck(Protocol):
    def is_following(self, a: str, b: str) -> bool: ...


class SwitchSource(Protocol):
    def get_switch(self, kind: Kind, post_id: int, user_id: str) -> Switch | None: ...


class SinglePosts(Protocol):
    def get_post(self, post_id: int) -> Post | None: ...


class BlockCheck(Protocol):
    def check_not_blocked(self, uid: str, other: str) -> None:
        """Raise 403 ``blocked`` when one of the two blocks the other."""
        ...


class RelationFlags(Protocol):
    """The flags of each of ``others`` related to ``uid`` (shared.domain.safety): what the
    timeline reader filters a page by (shared/usecases/safety.py SilencingService)."""

    def flags(self, uid: str, others: Collection[str]) -> dict[str, str]: ...


class SuspendedAmong(Protocol):
    def suspended_among(self, ids: Collection[str]) -> set[str]: ...


class HomeCleaner(Protocol):
    """A mute or block taking the other's entries out of a home timeline (issue 21)."""

    def clear_author_from_home(self, reader: str, author: str) -> int: ...

    def restore(self, reader: str, author: str) -> None:
        """A lifted mute: the followee's recent posts back, when ``reader`` follows them."""
        ...


class HomeTimelines(Protocol):
    def clear_author_from_home(self, reader: str, author: str) -> int: ...
