"""Notifications: the notifier consumer turns events into rows; the reads page them.

The notifier (functions/notifier, on post-events, engagement-events and social-events) trusts
the stores, not the message: a mention comes from the stored post's mentions, a reply from its
stored refs, a like or repost from the record being on, a follow from the graph. So a forged or
stale message changes nothing, and a redelivered one finds its actor already counted in the row
(shared/adapters/redis_notifications.py): 3 deliveries make one notification.

Rules (who is told, how rows group) are shared/domain/notifications.py's. Durability: a row is
copied to the archive (Firestore) when new and then at most every 2 s; a recipient whose rows
Redis lost is restored from it before anything else is read or written for them
(docs/notifications.md).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from shared import events, ids
from shared.domain import errors
from shared.domain import notifications as domain
from shared.domain.conversations import Kind
from shared.domain.model import Post, User
from shared.domain.notifications import Activity, Added, Page
from shared.ports import (
    FollowCheck,
    NotificationArchive,
    NotificationStore,
    ProfileCards,
    Silencing,
    SinglePosts,
    SwitchSource,
    UsersById,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class _Loader:
    """Restores a recipient's rows from the archive when Redis does not have them."""

    def __init__(self, store: NotificationStore, archive: NotificationArchive) -> None:
        self.store, self.archive = store, archive

    def load(self, uid: str) -> None:
        groups, read = self.archive.load(uid, domain.CAP)
        self.store.restore(uid, groups, read)
        log.info("notifications of %s restored: %d rows", uid, len(groups))

    def loaded(self, uid: str, op: Callable[[], T | None]) -> T:
        got = op()
        if got is None:
            self.load(uid)
            got = op()
        if got is None:
            raise errors.Unavailable("notifications are being restored; try again")
        return got


class Notifier:
    def __init__(
        self,
        store: NotificationStore,
        archive: NotificationArchive,
        posts: SinglePosts,
        records: SwitchSource,
        graph: Callable[[], FollowCheck],
        silencing: Callable[[], Silencing],
        clock: Callable[[], int] = ids.now_ms,
    ) -> None:
        self.store, self.archive = store, archive
        self.loader = _Loader(store, archive)
        self.posts, self.records = posts, records
        self.graph, self.silencing = graph, silencing
        self.clock = clock

    def handle(self, event: events.Event) -> None:
        self.deliver(self.activities(event))

    # -- what happened, from the stores --------------------------------------------------------

    def activities(self, event: events.Event) -> list[Activity]:
        if isinstance(event, events.PostCreated):
            return self._post(event.post_id)
        if isinstance(event, events.PostLiked):
            return self._switch(Kind.LIKE, "like", event.post_id, event.user_id, event.liked_ms)
        if isinstance(event, events.PostReposted):
            return self._switch(
                Kind.REPOST, "repost", event.post_id, event.reposter_id, event.reposted_ms
            )
        if isinstance(event, events.UserFollowed):
            if not self.graph().is_following(event.follower_id, event.followee_id):
                return []  # unfollowed since, or forged
            return [Activity(event.followee_id, event.follower_id, "follow", event.occurred_ms)]
        return []  # unlikes, deletes, unfollows: a notification once given stays

    def _live(self, post_id: str) -> Post | None:
        post = self.posts.get_post(ids.parse_id(post_id))
        return None if post is None or post.deleted else post

    def _post(self, post_id: str) -> list[Activity]:
        post = self._live(post_id)
        if post is None:
            return []
        out: list[Activity] = []
        pid = str(post.id)
        if post.reply_to is not None and post.reply_to_author_id is not None:
            out.append(Activity(post.reply_to_author_id, post.author_id, "reply",
                                post.created_ms, pid, str(post.reply_to)))  # fmt: skip
        told = {a.recipient for a in out}
        for uid in dict.fromkeys(m.user_id for m in post.mentions if m.user_id is not None):
            if uid not in told:  # the replied-to author gets the reply, not a second row
                out.append(Activity(uid, post.author_id, "mention", post.created_ms, pid))
        return out

    def _switch(
        self, kind: Kind, name: domain.Kind, post_id: str, actor: str, at_ms: int
    ) -> list[Activity]:
        sw = self.records.get_switch(kind, ids.parse_id(post_id), actor)
        if sw is None or not sw.active:
            return []  # switched off since (or forged): nothing to tell
        post = self._live(post_id)
        if post is None:
            return []
        return [Activity(post.author_id, actor, name, at_ms, str(post.id))]

    # -- telling --------------------------------------------------------------------------------

    def deliver(self, activities: Iterable[Activity]) -> int:
        """Write the activities that are worth telling; how many rows changed."""
        by_recipient: dict[str, list[Activity]] = {}
        for a in activities:
            if domain.worth_telling(a):
                by_recipient.setdefault(a.recipient, []).append(a)
        written = 0
        silencing = self.silencing()
        for uid, acts in by_recipient.items():
            silenced = silencing.silenced(uid, {a.actor for a in acts})
            for a in domain.keep_unsilenced(acts, silenced):
                added = self._add(uid, a)
                if not added.written or added.group is None:
                    continue
                written += 1
                if added.flush:
                    self.archive.put(uid, added.group, a.at_ms)
        return written

    def _add(self, uid: str, a: Activity) -> Added:
        return self.loader.loaded(uid, lambda: self.store.add(a, self.clock()))


class NotificationsService:
    """The reads and the read mark, always of the verified caller's own rows."""

    def __init__(
        self,
        store: NotificationStore,
        archive: NotificationArchive,
        cards: ProfileCards | None,
        directory: Callable[[], UsersById],
        silencing: Callable[[], Silencing],
    ) -> None:
        self.store, self.archive = store, archive
        self.loader = _Loader(store, archive)
        self.cards, self.directory, self.silencing = cards, directory, silencing

    def page(self, uid: str, limit: int, cursor: str | None) -> Page:
        before = None if cursor is None else domain.parse_cursor(cursor)
        read, unread, rows = self.loader.loaded(
            uid, lambda: self.store.page(uid, before, limit + 1)
        )
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = str(rows[-1].seq) if more and rows else None
        actors = {a for g in rows for a in g.actors}
        silencing = self.silencing()
        if actors:
            # Blocked or muted after the row was written: hide them now, at read.
            gone = silencing.silenced(uid, actors)
            if gone:
                rows = [_without(g, gone) for g in rows]
                rows = [g for g in rows if g.actors]
                actors -= gone
        cards, complete = self._cards(actors)
        if complete and len(cards) < len(actors):
            # an actor whose account is gone (erased): left out, with nothing of theirs shown
            rows = [g for g in (_without(g, actors - set(cards)) for g in rows) if g.actors]
        page = Page(rows, read, domain.shown_unread(unread), next_cursor)
        page.cards = cards
        return page

    def unread(self, uid: str) -> int:
        return domain.shown_unread(self.loader.loaded(uid, lambda: self.store.unread(uid)))

    def mark_read(self, uid: str, cursor: int) -> int:
        read, unread = self.loader.loaded(uid, lambda: self.store.mark_read(uid, cursor))
        self.archive.set_read(uid, read)
        return domain.shown_unread(unread)

    def forget_actor(self, actor: str) -> int:
        """An erased account leaves every row that shows it, in Redis and in the copy (found
        through the copy's ``actors``); how many rows changed. Idempotent."""
        changed = 0
        recipients = {uid for uid, _ in self.archive.rows_naming(actor)}
        for uid in sorted(recipients):
            for gid, row in self.store.forget_actor(uid, actor):
                self.archive.replace_row(uid, gid, row)
                changed += 1
        # rows the copy names but Redis no longer has (trimmed, or Redis lost them)
        for uid, g in self.archive.rows_naming(actor):
            kept = _without(domain.decode_group(g.id, g.row), {actor})
            self.archive.replace_row(uid, g.id, domain.encode_group(kept) if kept.actors else None)
            changed += 1
        return changed

    def _cards(self, uids: set[str]) -> tuple[dict[str, User], bool]:
        """(the actors' profiles, whether every lookup answered: then a missing one is gone)."""
        found: dict[str, User] = {}
        if not uids:
            return found, True
        if self.cards is not None:
            try:
                found.update(self.cards.cards(sorted(uids)))
            except Exception:
                log.warning("profile cards unreadable", exc_info=True)
        missing = uids - set(found)
        if missing:
            try:
                found.update(self.directory().get_users(sorted(missing)))
            except Exception:
                log.warning("actors' profiles unreadable", exc_info=True)
                return found, False
        return found, True


def _without(g: domain.Group, gone: set[str]) -> domain.Group:
    kept = tuple(a for a in g.actors if a not in gone)
    if len(kept) == len(g.actors):
        return g
    count = max(len(kept), g.count - (len(g.actors) - len(kept)))
    return dataclasses.replace(g, actors=kept, count=count)
