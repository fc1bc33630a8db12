"""Likes, reposts and the engagement counts every Post JSON carries (docs/conversations.md).

Write path of a like (a repost is the same with its own collection and topic): the post must
exist and be live -> one Firestore transaction switches the caller's ONE record for the post and
appends the event to the engagement outbox -> the event is published (PostLiked/PostUnliked on
engagement-events; PostReposted/RepostRemoved on post-events) and marked published; a failed
publish is left to the outbox relay -> the switch is applied to the Redis counters at once
(idempotent by the record's version), so the answer's count already includes it.

The consumers (``EngagementCounter``: engagement_counter on engagement-events, post_counter on
post-events) apply the same switches again from the store's records: a write-through that
failed (Redis out), a reply (PostCreated with reply_to) or a deleted reply is counted there.
Redelivery applies a version already held: nothing changes.

Counts incomplete in Redis (a new post, or all of Redis lost) are rebuilt from the store's
records on first read (``complete``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from shared import events, ids, observability
from shared.domain import conversations as rules
from shared.domain.conversations import Kind, Switch
from shared.domain.model import NO_ENGAGEMENT, Engagement, Post
from shared.ports import EngagementCounters, EngagementRecords, EventPublisher, ThreadStore

log = logging.getLogger(__name__)

ENGAGEMENT_TOPIC = "engagement-events"
POST_EVENTS_TOPIC = "post-events"
# A page's posts whose counts are incomplete are rebuilt from the store, at most this many per
# call (the rest show zeros once and are rebuilt by the next read or their consumer).
MAX_REBUILDS_PER_READ = 40


def topic_of(event: events.EngagementEvent) -> str:
    if isinstance(event, events.PostLiked | events.PostUnliked):
        return ENGAGEMENT_TOPIC
    return POST_EVENTS_TOPIC


class EngagementService:
    def __init__(
        self,
        records: EngagementRecords,
        counters: EngagementCounters,
        posts: ThreadStore,
        publisher: EventPublisher,
    ) -> None:
        self.records = records
        self.counters = counters
        self.posts = posts
        self.publisher = publisher

    # ---- writes ---------------------------------------------------------------------------

    def switch(self, kind: Kind, user_id: str, post_id: int, active: bool) -> tuple[bool, int]:
        """Like/unlike or repost/un-repost: (the caller's state, the post's count)."""
        post = rules.check_engageable(post_id, self.posts.get_post(post_id))
        sw, event = self.records.switch(
            kind, post, user_id, active, trace_id=observability.current_trace()
        )
        if event is not None:
            self._publish(event)
        return sw.active, self._count_after(kind, sw)

    def _count_after(self, kind: Kind, sw: Switch) -> int:
        try:
            n = self.counters.apply(sw)
            if n is None:
                return _count(self.rebuild(sw.post_id), kind)
            return n
        except Exception:
            # The like is saved; the consumer applies it once Redis is back. The answer's
            # count comes from the records themselves meanwhile.
            log.warning("engagement counters unavailable; counting in the store", exc_info=True)
            if kind is Kind.REPLY:
                return 0
            return self.records.count_active(kind, sw.post_id)

    def _publish(self, event: events.EngagementEvent) -> None:
        try:
            self.publisher.publish(topic_of(event), event)
        except Exception:
            log.warning("publish of %s failed; left to the outbox relay", event.event_id,
                        exc_info=True)  # fmt: skip
            return
        try:
            self.records.mark_published([event])
        except Exception:
            log.warning("could not mark %s published", event.event_id, exc_info=True)

    def count_reply(self, reply: Post) -> None:
        """A new reply counted on its parent (idempotent: the consumer applies it again)."""
        if reply.reply_to is not None:
            sw = _reply_switch(reply.reply_to, reply.id, reply.deleted)
            if self.counters.apply(sw) is None:
                self.rebuild(reply.reply_to)

    # ---- counts ---------------------------------------------------------------------------

    def rebuild(self, post_id: int) -> Engagement:
        """Make one post's counters complete from the store's records (likes, reposts and the
        replies, with their versions: newer switches already in Redis win)."""
        records = self.records.switches_of_post(post_id)
        for reply_id, deleted in self.posts.reply_ids(post_id):
            records.append(_reply_switch(post_id, reply_id, deleted))
        return self.counters.rebuild(post_id, records)

    def complete(
        self,
        post_ids: Sequence[int],
        viewer: str | None,
        known: dict[int, Engagement | None] | None = None,
    ) -> dict[int, Engagement]:
        """Each post's engagement for ``viewer``: ``known`` (read with the page) where complete,
        else read, rebuilding incomplete counts from the store. Never fails a page: with Redis
        out, the posts show zeros."""
        got: dict[int, Engagement | None] = dict(known or {})
        try:
            unread = [p for p in post_ids if p not in got]
            if unread:
                got.update(self.counters.read(unread, viewer))
            incomplete = [p for p in dict.fromkeys(post_ids) if got.get(p) is None]
            if incomplete:
                for pid in incomplete[:MAX_REBUILDS_PER_READ]:
                    self.rebuild(pid)
                got.update(self.counters.read(incomplete, viewer))
        except Exception:
            log.warning("engagement unavailable; posts shown with zero counts", exc_info=True)
        return {p: got.get(p) or NO_ENGAGEMENT for p in post_ids}


class EngagementCounter:
    """engagement_counter (engagement-events) and post_counter (post-events): apply the
    switch an event announces, as the store records it (the store, not the message, is the
    authority: a forged or stale message changes nothing)."""

    def __init__(self, service: EngagementService) -> None:
        self.s = service

    def handle(self, event: events.Event) -> None:
        if isinstance(event, events.PostLiked | events.PostUnliked):
            self._record(Kind.LIKE, event.post_id, event.user_id, event.type)
        elif isinstance(event, events.PostReposted | events.RepostRemoved):
            self._record(Kind.REPOST, event.post_id, event.reposter_id, event.type)
        elif isinstance(event, events.PostCreated | events.PostDeleted):
            self._post(event.post_id, event.type)
        else:
            log.info("engagement counter ignores %s", event.type)

    def _record(self, kind: Kind, post_id: str, user_id: str, etype: str) -> None:
        pid = ids.parse_id(post_id)
        sw = self.s.records.get_switch(kind, pid, user_id)
        if sw is None:
            log.warning("engagement counter drops %s of %s by %s: no such record", etype,
                        post_id, user_id)  # fmt: skip
            return
        if self.s.counters.apply(sw) is None:
            self.s.rebuild(pid)

    def _post(self, post_id: str, etype: str) -> None:
        pid = ids.parse_id(post_id)
        post = self.s.posts.get_post(pid)
        if post is None:
            log.warning("engagement counter drops %s of unknown post %s", etype, post_id)
            return
        self.s.count_reply(post)
        if not post.deleted and self.s.counters.read([pid], None).get(pid) is None:
            self.s.rebuild(pid)  # a new post's counters: complete (zeros) before anyone reads


def _reply_switch(parent: int, reply_id: int, deleted: bool) -> Switch:
    # A reply is created once (version 1, counted) and deleted once (version 2, not counted).
    return Switch(Kind.REPLY, parent, str(reply_id), 2 if deleted else 1, not deleted)


def _count(e: Engagement, kind: Kind) -> int:
    return {Kind.LIKE: e.like_count, Kind.REPLY: e.reply_count, Kind.REPOST: e.repost_count}[kind]


class EngagementRelay:
    """The engagement outbox's share of an outbox tick: publish what the write path could
    not, oldest first, each to its topic; marked only once Pub/Sub acknowledged it."""

    def __init__(
        self,
        records: EngagementRecords,
        publisher: EventPublisher,
        *,
        batch_size: int = 200,
        min_age_ms: int = 10_000,
        max_batches: int = 20,
    ) -> None:
        self.records = records
        self.publisher = publisher
        self.batch_size = batch_size
        self.min_age_ms = min_age_ms
        self.max_batches = max_batches

    def __call__(self) -> int:
        published = 0
        for _ in range(self.max_batches):
            batch = self.records.unpublished_events(
                self.batch_size, older_than_ms=ids.now_ms() - self.min_age_ms
            )
            done = []
            for e in batch:
                try:
                    self.publisher.publish(topic_of(e), e)
                except Exception:
                    log.warning("relay could not publish %s", e.event_id, exc_info=True)
                    break
                done.append(e)
            if done:
                self.records.mark_published(done)
            published += len(done)
            if len(done) < len(batch) or len(batch) < self.batch_size:
                break
        return published
