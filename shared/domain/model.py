"""The platform's nouns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class User:
    id: str
    handle: str
    display_name: str
    created_ms: int = 0
    follower_count: int = 0
    following_count: int = 0
    post_count: int = 0
    # media_json of the user's avatar; None when they have none (or it was not looked up)
    avatar: dict[str, Any] | None = None
    bio: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "handle": self.handle,
            "display_name": self.display_name,
            "created_ms": self.created_ms,
            "follower_count": self.follower_count,
            "following_count": self.following_count,
            "post_count": self.post_count,
            "avatar": self.avatar,
            "bio": self.bio,
        }


@dataclass(frozen=True)
class Engagement:
    """A post's counts and what the reader did to it (every Post JSON carries them)."""

    like_count: int = 0
    reply_count: int = 0
    repost_count: int = 0
    liked_by_me: bool = False
    reposted_by_me: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "like_count": max(0, self.like_count),
            "reply_count": max(0, self.reply_count),
            "repost_count": max(0, self.repost_count),
            "liked_by_me": self.liked_by_me,
            "reposted_by_me": self.reposted_by_me,
        }


NO_ENGAGEMENT = Engagement()


@dataclass(frozen=True)
class Mention:
    """A resolved ``@handle`` in a post's text: its span in code points (``text[start:end]`` is
    the ``@handle`` as typed) and the user's id, so a later handle change keeps the link.

    ``user_id`` None: the mentioned account was erased (issue 23, docs/privacy.md); the span
    stays, shown as "deleted user", and nothing in it names them."""

    start: int
    end: int
    user_id: str | None

    @property
    def deleted(self) -> bool:
        return self.user_id is None

    def to_json(self) -> dict[str, Any]:
        if self.user_id is None:
            return {"start": self.start, "end": self.end, "user_id": None, "deleted": True}
        return {"start": self.start, "end": self.end, "user_id": self.user_id}


@dataclass(frozen=True)
class Post:
    id: int
    author_id: str
    text: str
    created_ms: int
    deleted: bool = False
    # media_json of each attached image, in the author's order (at most four)
    media: tuple[dict[str, Any], ...] = ()
    # A reply's parent and thread root (Bluesky's refs) and the parent's author; None otherwise
    reply_to: int | None = None
    root_id: int | None = None
    reply_to_author_id: str | None = None
    # its distinct hashtags, parsed at create time (shared.domain.facets.hashtags)
    hashtags: tuple[str, ...] = ()
    # its resolved @mentions, in text order (shared.domain.facets.resolve_mentions)
    mentions: tuple[Mention, ...] = ()

    def to_json(
        self, author: User | None = None, engagement: Engagement | None = None
    ) -> dict[str, Any]:
        """The API's Post. A deleted post is only ever shown as a thread placeholder: no text,
        no media, no author (its replies stay readable around it)."""
        body: dict[str, Any] = {
            "id": str(self.id),
            "author_id": self.author_id,
            "text": "" if self.deleted else self.text,
            "created_ms": self.created_ms,
            "media": [] if self.deleted else list(self.media),
            "reply_to": None if self.reply_to is None else str(self.reply_to),
            "root_id": None if self.root_id is None else str(self.root_id),
            "deleted": self.deleted,
            **(engagement or NO_ENGAGEMENT).to_json(),
        }
        if self.hashtags:
            body["hashtags"] = list(self.hashtags)
        body["mentions"] = [] if self.deleted else [m.to_json() for m in self.mentions]
        if self.deleted:
            body["author"] = None
        elif author is not None:
            body["author"] = {
                "handle": author.handle,
                "display_name": author.display_name,
                "avatar": author.avatar,
            }
        return body
