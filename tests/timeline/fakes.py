"""In-memory FollowerSource and PostStore: for unit tests of pure logic, and as stand-ins for the
ports in integration tests whose subject is Redis (the real adapters are covered by their own
helpers' tests)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from shared import events
from shared.domain.media import MediaRef
from shared.domain.model import Post, User


class MemGraph:
    def __init__(self) -> None:
        self.followers: dict[str, set[str]] = defaultdict(set)
        self.following: dict[str, set[str]] = defaultdict(set)
        self.users: dict[str, User] = {}

    def add_user(self, uid: str) -> None:
        self.users[uid] = User(id=uid, handle=f"h_{uid}", display_name=f"User {uid}")

    def follow(self, a: str, b: str) -> None:
        self.followers[b].add(a)
        self.following[a].add(b)

    def unfollow(self, a: str, b: str) -> None:
        self.followers[b].discard(a)
        self.following[a].discard(b)

    def follower_count(self, user_id: str) -> int:
        return len(self.followers[user_id])

    def iter_follower_pages(self, user_id: str, page_size: int = 1000) -> Iterator[list[str]]:
        ids = sorted(self.followers[user_id])
        for i in range(0, len(ids), page_size):
            yield ids[i : i + page_size]

    def following_ids(self, user_id: str) -> list[str]:
        return sorted(self.following[user_id])

    def followers_among(self, uid: str, ids: Iterable[str]) -> set[str]:
        return {i for i in ids if uid in self.following[i]}

    def get_users(self, ids: Iterable[str]) -> dict[str, User]:
        return {i: self.users[i] for i in ids if i in self.users}


class MemPosts:
    def __init__(self) -> None:
        self.posts: dict[int, Post] = {}
        self.get_calls = 0

    def add(self, post: Post) -> None:
        self.posts[post.id] = post

    def delete(self, pid: int) -> None:
        p = self.posts[pid]
        self.posts[pid] = Post(p.id, p.author_id, "", p.created_ms, deleted=True)

    def get_posts(self, ids: Sequence[int]) -> dict[int, Post]:
        self.get_calls += 1
        return {i: self.posts[i] for i in ids if i in self.posts}

    def list_user_posts(self, author_id: str, limit: int, before: int | None = None) -> list[Post]:
        mine = [
            p
            for p in self.posts.values()
            if p.author_id == author_id and not p.deleted and (before is None or p.id < before)
        ]
        return sorted(mine, key=lambda p: -p.id)[:limit]


class ListPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, events._Event]] = []

    def publish(self, topic: str, event: events._Event) -> None:
        self.sent.append((topic, event))


class NoAvatars:
    """An AvatarSource where nobody has an avatar."""

    def get_avatars(self, user_ids: Iterable[str]) -> dict[str, MediaRef]:
        return {}
