"""Reading conversations: a post's thread, who liked a post, what a user liked.

Every post shown carries its engagement for the reader and its author's profile card (the same
hydration as a timeline page: shared.usecases.timeline). A deleted post in a thread is shown as
a placeholder (domain.model.Post.to_json) so the replies around it stay readable; a deleted
reply is shown only when it has replies of its own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared import ids
from shared.domain import errors, safety
from shared.domain.conversations import MAX_ANCESTORS
from shared.domain.model import Engagement, Post, User
from shared.ports import EngagementRecords, FollowerSource, ThreadStore
from shared.usecases.engagement import EngagementService
from shared.usecases.timeline import TimelineReader

_LIKE_CURSOR = re.compile(r"^[0-9]{15}-[0-9]{1,19}-[0-9a-f]{40}$")


@dataclass
class Shown:
    """Posts with what a reader sees of them."""

    authors: dict[str, User] = field(default_factory=dict)
    engagement: dict[int, Engagement] = field(default_factory=dict)

    def json(self, p: Post) -> dict[str, Any]:
        return p.to_json(self.authors.get(p.author_id), self.engagement.get(p.id))


def _like_cursor(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if not _LIKE_CURSOR.match(raw):
        raise errors.InvalidInput("cursor is not one this API returned")
    return raw


def _id_cursor(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return ids.parse_id(raw)
    except ValueError as exc:
        raise errors.InvalidInput("cursor is not one this API returned") from exc


class ConversationsReader:
    def __init__(
        self,
        posts: ThreadStore,
        records: EngagementRecords,
        engagement: EngagementService,
        timeline: TimelineReader,
        graph: FollowerSource,
    ) -> None:
        self.posts = posts
        self.records = records
        self.engagement = engagement
        self.timeline = timeline
        self.graph = graph

    def shown(self, posts: Sequence[Post], viewer: str) -> Shown:
        live = {p.author_id for p in posts if not p.deleted}
        return Shown(
            authors=self.timeline.cards_of(live),
            engagement=self.engagement.complete([p.id for p in posts], viewer),
        )

    def thread(
        self, viewer: str, post_id: int, *, newest: bool, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        """The post, its ancestors (root first, at most MAX_ANCESTORS), a page of its direct
        replies (oldest or newest first) and the next page's cursor."""
        post = self.posts.get_post(post_id)
        if post is None:
            raise errors.PostNotFound(f"no post {post_id}")
        after = _id_cursor(cursor)
        chain: list[Post] = []
        cur = post
        while cur.reply_to is not None and len(chain) < MAX_ANCESTORS:
            parent = self.posts.get_post(cur.reply_to)
            if parent is None:
                break
            chain.append(parent)
            cur = parent
        ancestors = chain[::-1]
        got = self.posts.list_replies(post_id, limit + 1, after, newest=newest)
        more = len(got) > limit
        replies = got[:limit]
        # issue 21: across a block (or from a suspended author) nothing is shown; an ancestor
        # becomes a placeholder so the thread around it stays readable
        hidden = self._hidden_authors(viewer, [post, *ancestors, *replies])
        if post.author_id in hidden:
            if post.author_id in self._suspended(hidden):
                raise errors.PostNotFound(f"no post {post_id}")
            raise safety.blocked(post.author_id)
        ancestors = [dataclasses.replace(a, deleted=True) if a.author_id in hidden else a
                     for a in ancestors]  # fmt: skip
        replies = [r for r in replies if r.author_id not in hidden]
        shown = self.shown([*ancestors, post, *replies], viewer)
        # A deleted reply nobody answered is just gone; one with replies stays, as a placeholder.
        visible = [
            r for r in replies if not r.deleted or shown.engagement[r.id].reply_count > 0
        ]  # fmt: skip
        return {
            "post": shown.json(post),
            "ancestors": [shown.json(a) for a in ancestors],
            "replies": [shown.json(r) for r in visible],
            "next_cursor": str(replies[-1].id) if more and replies else None,
        }

    def _hidden_authors(self, viewer: str, posts: Sequence[Post]) -> set[str]:
        names = {p.author_id for p in posts if p.author_id != viewer}
        tl = self.timeline
        out: set[str] = set()
        if names and tl.silencing is not None:
            flags = tl.silencing.flags(viewer, names)
            out |= {a for a, f in flags.items() if safety.hidden_everywhere(f)}
        if names and tl.suspensions is not None:
            out |= tl.suspensions.suspended_among(names)
        return out

    def _blocked_among(self, viewer: str, people: Sequence[str]) -> set[str]:
        """Who of ``people`` the viewer blocks or is blocked by (one HMGET)."""
        tl = self.timeline
        names = {u for u in people if u != viewer}
        if not names or tl.silencing is None:
            return set()
        flags = tl.silencing.flags(viewer, names)
        return {u for u, f in flags.items() if safety.hidden_everywhere(f)}

    def _suspended(self, names: set[str]) -> set[str]:
        tl = self.timeline
        return tl.suspensions.suspended_among(names) if tl.suspensions is not None else set()

    def post_likes(
        self, viewer: str, post_id: int, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        """Who liked the post, newest like first (UserList). Across a block nothing is shown
        (403 blocked for the post, as its thread), and likers the viewer blocks or is blocked
        by are left out (a page may come back short, its cursor goes on)."""
        post = self.posts.get_post(post_id)
        if post is None or post.deleted:
            raise errors.PostNotFound(f"no post {post_id}")
        if post.author_id in self._blocked_among(viewer, [post.author_id]):
            raise safety.blocked(post.author_id)
        got = self.records.likers(post_id, limit + 1, _like_cursor(cursor))
        page = got[:limit]
        hidden = self._blocked_among(viewer, [u for u, _ in page])
        users = self.graph.get_users([u for u, _ in page if u not in hidden])
        return {
            "items": [users[u].to_json() for u, _ in page if u in users],
            "next_cursor": page[-1][1] if len(got) > limit else None,
        }

    def user_likes(
        self, viewer: str, user_id: str, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        """The live posts the user liked, newest like first (PostPage)."""
        if not 1 <= len(user_id) <= 128:
            raise errors.InvalidInput("id must be 1-128 characters")
        if not self.graph.get_users([user_id]):
            raise errors.NotFound(f"no user {user_id}")
        if user_id in self._blocked_among(viewer, [user_id]):
            raise safety.blocked(user_id)  # as their posts: the profile says so, nothing more
        got = self.records.liked_by(user_id, limit + 1, _like_cursor(cursor))
        page = got[:limit]
        stored = self.posts.get_posts([pid for pid, _ in page])
        posts = [stored[pid] for pid, _ in page if pid in stored and not stored[pid].deleted]
        # posts by someone the viewer blocks (either way) or who is suspended are left out
        hidden = self._hidden_authors(viewer, posts)
        posts = [p for p in posts if p.author_id not in hidden]
        shown = self.shown(posts, viewer)
        return {
            "items": [shown.json(p) for p in posts],
            "next_cursor": page[-1][1] if len(got) > limit else None,
        }
