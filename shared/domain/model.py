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
class Post:
    id: int
    author_id: str
    text: str
    created_ms: int
    deleted: bool = False
    # media_json of each attached image, in the author's order (at most four)
    media: tuple[dict[str, Any], ...] = ()

    def to_json(self, author: User | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": str(self.id),
            "author_id": self.author_id,
            "text": self.text,
            "created_ms": self.created_ms,
            "media": list(self.media),
        }
        if author is not None:
            body["author"] = {
                "handle": author.handle,
                "display_name": author.display_name,
                "avatar": author.avatar,
            }
        return body
