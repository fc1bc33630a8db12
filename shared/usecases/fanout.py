"""The write side of the timeline engine: the three Pub/Sub consumers' use cases.

Why it exists: a post reaches its readers by fan-out, decided once per post (push or pull,
domain.fanout), and the follow graph's changes must reach the home timelines. What it promises:
each use case is idempotent - redelivering a message any number of times, in any order, leaves
the timeline store as one delivery did (tests/timeline and tests/faults prove it).

- ``FanoutPlanner`` (post-events): record the post, decide its mode once, page the followers
  into ``FanoutBatch`` messages of active readers;
- ``TimelineWriter`` (fanout-batches): write one batch into its readers' home timelines;
- ``FollowSync`` (social-events): make the store agree with the graph for one pair.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence

from shared import events, ids
from shared.config import Settings
from shared.domain.conversations import Kind, home_audience
from shared.domain.fanout import AuthorActivity, Mode, Policy, batches
from shared.domain.model import Post
from shared.domain.timeline import Recorded, TimelinePost
from shared.ports import (
    EngagementRecords,
    EventPublisher,
    FollowerSource,
    PostStore,
    TimelineStore,
)

log = logging.getLogger(__name__)

FANOUT_TOPIC = "fanout-batches"


def _publish_all(publisher: EventPublisher, topic: str, batch: list[events._Event]) -> None:
    many: Callable[[str, list[events._Event]], None] | None = getattr(
        publisher, "publish_many", None
    )
    if many is not None:
        many(topic, batch)
    else:
        for e in batch:
            publisher.publish(topic, e)


class _Followers:
    """An author's follower pages, read from the graph at most once per planning call.

    The follower count needs the first window, and a push needs every window again: kept here,
    the first window (and any read after it) is not read twice, whatever the author's size.
    Only authors below the pull threshold are pushed, so at most that many ids are held.
    """

    def __init__(self, pages: Iterator[list[str]]) -> None:
        self._pages = pages
        self._read: list[list[str]] = []

    def first(self) -> list[str]:
        return next(iter(self), [])

    def __iter__(self) -> Iterator[list[str]]:
        yield from self._read
        for page in self._pages:
            self._read.append(page)
            yield page


class FanoutPlanner:
    """post-events: record the post, decide push or pull once, page followers into batches.

    The post store, not the message, is the authority on what a post is: topic IAM limits who
    may publish, but a message published with any author and text must not become a post in
    anyone's timeline. So ``handle`` reads the post back (one batched read) and fans out what
    the store holds — author, text, media — or drops the message when the store disagrees; a
    deletion is carried out only when the store says the post is deleted.
    """

    def __init__(
        self,
        timelines: TimelineStore,
        graph: FollowerSource,
        publisher: EventPublisher,
        settings: Settings,
        posts: PostStore,
        records: EngagementRecords | None = None,
    ) -> None:
        self.tl = timelines
        self.posts = posts
        self.records = records  # the repost records' truth (None: trust the original check)
        self.graph = graph
        self.publisher = publisher
        self.batch_size = settings.fanout_batch_size
        self.policy = Policy.from_settings(settings)

    def handle(self, event: events.Event) -> None:
        if isinstance(event, events.PostCreated):
            stored = self._stored(event.post_id, event.author_id, event.type)
            if stored is None or stored.deleted:
                return  # forged, or deleted since: the PostDeleted event does the removal
            post = TimelinePost(
                stored.id, stored.author_id, stored.text, stored.created_ms, stored.media,
                stored.reply_to, stored.root_id, stored.reply_to_author_id, stored.mentions,
            )  # fmt: skip
            out = self.plan_posts([post], trace_id=event.trace_id)
            if out:
                _publish_all(self.publisher, FANOUT_TOPIC, list(out))
        elif isinstance(event, events.PostDeleted):
            stored = self._stored(event.post_id, event.author_id, event.type)
            if stored is None or not stored.deleted:
                if stored is not None:
                    log.warning("fanout_planner drops a PostDeleted of live post %s", stored.id)
                return
            out = self.plan_delete(stored.id, stored.author_id, stored.created_ms)
            if out:
                _publish_all(self.publisher, FANOUT_TOPIC, list(out))
        elif isinstance(event, events.PostReposted | events.RepostRemoved):
            out = self.handle_repost_event(event)
            if out:
                _publish_all(self.publisher, FANOUT_TOPIC, list(out))
        else:
            log.warning("fanout_planner ignores %s", event.type)

    def _stored(self, post_id: str, author_id: str, kind: str) -> Post | None:
        """The post as the store has it, when it is the post the message names."""
        try:
            pid = ids.parse_id(post_id)
        except ValueError:
            pid = -1
        stored = self.posts.get_posts([pid]).get(pid) if pid >= 0 else None
        if stored is None or stored.author_id != author_id:
            log.warning(
                "fanout_planner drops %s of post %s by %s: the post store has no such post",
                kind, post_id, author_id,
            )  # fmt: skip
            return None
        return stored

    def plan_posts(
        self,
        posts: Sequence[TimelinePost],
        *,
        trace_id: str | None = None,
        recorded: Sequence[Recorded] | None = None,
        repost_of: int | None = None,
    ) -> list[events.FanoutBatch]:
        """Record posts (in order) and return the push batches to publish.

        The benchmark drives this with thousands of posts per call; the consumer with one.
        A repost's entry comes ``recorded`` already (``plan_repost``), with its original.
        """
        if recorded is None:
            recorded = self.tl.record_posts(posts)
        counts: dict[str, int] = {}
        followers: dict[str, _Followers] = {}
        undecided: list[tuple[TimelinePost, AuthorActivity]] = []
        modes: dict[int, Mode] = {}
        for p, r in zip(posts, recorded, strict=True):
            if r.gone:
                continue
            if r.mode is not None:
                modes[p.post_id] = r.mode
                continue
            if p.author_id not in counts:
                counts[p.author_id] = self._count(p.author_id, followers)
            activity = AuthorActivity(counts[p.author_id], r.posts_in_window, r.window_span_ms)
            undecided.append((p, activity))
        decisions = [(p.post_id, p.author_id, self.policy.decide(a)) for p, a in undecided]
        finals = self.tl.commit_modes(decisions)
        for (pid, _, _), mode in zip(decisions, finals, strict=True):
            modes[pid] = mode
        out: list[events.FanoutBatch] = []
        for p in posts:
            if modes.get(p.post_id) is Mode.PUSH:
                pages = followers.get(p.author_id)
                if pages is None:  # mode decided by an earlier delivery: no count was needed
                    pages = followers[p.author_id] = self._pages(p.author_id)
                audience = home_audience(p.author_id, p.reply_to_author_id)
                out += self._batches(
                    "add", p.post_id, p.author_id, p.created_ms, trace_id, pages, audience,
                    repost_of=repost_of,
                )  # fmt: skip
        return out

    def _pages(self, author: str) -> _Followers:
        return _Followers(iter(self.graph.iter_follower_pages(author, self.batch_size)))

    def _count(self, author: str, followers: dict[str, _Followers]) -> int:
        """The author's follower count. Most authors have fewer followers than one page: then
        the page the push needs anyway is the count, and the count query is saved. Either way
        the pages read are kept for the push."""
        pages = followers[author] = self._pages(author)
        page = pages.first()
        if len(page) < self.batch_size:
            return len(page)
        return self.graph.follower_count(author)

    def plan_delete(
        self, post_id: int, author_id: str, created_ms: int
    ) -> list[events.FanoutBatch]:
        return self._plan_delete_post(post_id, author_id, created_ms) + self.plan_repost_cascade(
            post_id
        )

    def _plan_delete_post(
        self, post_id: int, author_id: str, created_ms: int
    ) -> list[events.FanoutBatch]:
        mode = self.tl.delete_post(post_id, author_id)
        if mode is Mode.PULL:
            return []  # it lived only in its author's timeline; stray copies are filtered
        if (
            mode is None
            and self.graph.follower_count(author_id) >= self.policy.pull_follower_threshold
        ):
            return []  # unknown mode (lost with Redis): the read-side tombstone filter suffices
        return self._batches("remove", post_id, author_id, created_ms, None, self._pages(author_id))

    # ---- reposts (issue 20; docs/timeline.md "Reposts") ----------------------------------

    def handle_repost_event(
        self, event: events.PostReposted | events.RepostRemoved
    ) -> list[events.FanoutBatch]:
        """PostReposted / RepostRemoved: the batches to publish. The post store is the
        authority on the original (it must exist, by that author; a repost of a deleted post
        is dropped: its deletion cascades to every repost)."""
        stored = self._stored(event.post_id, event.author_id, event.type)
        if stored is None:
            return []
        if isinstance(event, events.PostReposted):
            if stored.deleted or not self._repost_recorded(stored.id, event.reposter_id):
                return []
            return self.plan_repost(
                stored.id, event.reposter_id, event.reposted_ms, trace_id=event.trace_id
            )
        return self.plan_unrepost(stored.id, event.reposter_id, event.reposted_ms)

    def _repost_recorded(self, post_id: int, reposter: str) -> bool:
        """The repost record is on (a forged PostReposted fans nothing out). A record switched
        off and on again since is still this reposter's repost: record_repost binds one entry
        per (post, reposter), and the un-repost guard orders the events by ``reposted_ms``."""
        if self.records is None:
            return True
        sw = self.records.get_switch(Kind.REPOST, post_id, reposter)
        if sw is None or not sw.active:
            log.warning("fanout_planner drops a PostReposted of %s by %s: no such repost",
                        post_id, reposter)  # fmt: skip
            return False
        return True

    def plan_repost(
        self, post_id: int, reposter: str, reposted_ms: int, *, trace_id: str | None = None
    ) -> list[events.FanoutBatch]:
        """Fan a repost out to the reposter's followers by the policy of a post: its entry is
        recorded in the reposter's own timeline (pace included), its mode decided once."""
        got = self.tl.record_repost(post_id, reposter, reposted_ms)
        if got is None:
            return []
        entry, recorded = got
        post = TimelinePost(entry, reposter, "", ids.timestamp_ms(entry))
        return self.plan_posts([post], trace_id=trace_id, recorded=[recorded], repost_of=post_id)

    def plan_unrepost(
        self, post_id: int, reposter: str, reposted_ms: int
    ) -> list[events.FanoutBatch]:
        """Remove that repost only: its entry from the reposter's followers (when pushed)."""
        got = self.tl.remove_repost(post_id, reposter, reposted_ms)
        if got is None:
            return []
        entry, mode = got
        return self._remove_repost_entry(post_id, reposter, entry, mode)

    def plan_repost_cascade(self, post_id: int) -> list[events.FanoutBatch]:
        """The original is deleted: every repost of it goes, from every timeline."""
        out: list[events.FanoutBatch] = []
        for reposter, entry in self.tl.reposts_of(post_id):
            mode = self.tl.delete_post(entry, reposter)
            out += self._remove_repost_entry(post_id, reposter, entry, mode)
        return out

    def _remove_repost_entry(
        self, post_id: int, reposter: str, entry: int, mode: Mode | None
    ) -> list[events.FanoutBatch]:
        if mode is Mode.PULL:
            return []  # only in the reposter's own timeline; stray copies are filtered on read
        if mode is None and (
            self.graph.follower_count(reposter) >= self.policy.pull_follower_threshold
        ):
            return []
        return self._batches(
            "remove", entry, reposter, ids.timestamp_ms(entry), None, self._pages(reposter),
            repost_of=post_id,
        )  # fmt: skip

    def _batches(
        self,
        op: str,
        post_id: int,
        author_id: str,
        created_ms: int,
        trace_id: str | None,
        pages: Iterable[list[str]],
        audience: str | None = None,
        *,
        repost_of: int | None = None,
    ) -> list[events.FanoutBatch]:
        if op == "add":
            pages = self._active(pages)
            if audience is not None:
                pages = self._following(pages, audience)
        now = ids.now_ms()
        return [
            events.FanoutBatch(
                # Deterministic: a re-planned post yields the very same batch messages.
                event_id=f"fanout-{op}-{post_id}-{n}",
                occurred_ms=now,
                trace_id=trace_id,
                op="add" if op == "add" else "remove",
                post_id=str(post_id),
                author_id=author_id,
                created_ms=created_ms,
                recipients=recipients,
                batch_no=n,
                repost_of=None if repost_of is None else str(repost_of),
            )
            for n, recipients in enumerate(batches(pages, self.batch_size))
        ]

    def _following(self, pages: Iterable[list[str]], audience: str) -> Iterator[list[str]]:
        # A reply to someone else reaches only the readers who follow that someone too (or
        # are them): domain.conversations.reaches_home, applied here to pushed posts.
        for page in pages:
            among = self.graph.followers_among(audience, page) | {audience}
            yield [u for u in page if u in among]

    def _active(self, pages: Iterable[list[str]]) -> Iterator[list[str]]:
        # Inactive followers are skipped here, not in the writer: one MGET per page, and the
        # batches published (and written) carry only readers worth a write.
        for page in pages:
            active = self.tl.active_among(page)
            if len(active) < len(page):
                keep = set(active)
                self.tl.free_inactive([u for u in page if u not in keep])
            yield active


class TimelineWriter:
    """fanout-batches: one script run writes a batch into up to ~1,000 home timelines."""

    def __init__(self, timelines: TimelineStore) -> None:
        self.tl = timelines

    def handle(self, event: events.Event) -> None:
        if not isinstance(event, events.FanoutBatch):
            log.warning("timeline_writer ignores %s", event.type)
            return
        if event.repost_of is not None:
            self.tl.apply_repost_batch(
                event.op, int(event.post_id), int(event.repost_of), event.recipients
            )
        else:
            self.tl.apply_batch(event.op, int(event.post_id), event.recipients)
        # The figure to watch in Cloud Logging: how long after the post a batch reached Redis.
        log.info(
            "fan-out batch written",
            extra={
                "json_fields": {
                    "fanout_lag_ms": ids.now_ms() - event.created_ms,
                    "post_id": event.post_id,
                    "op": event.op,
                    "batch_no": event.batch_no,
                    "recipients": len(event.recipients),
                }
            },
        )


class FollowSync:
    """social-events: make the store agree with the graph for one (follower, followee) pair.

    Events can arrive late, twice or out of order, so neither event is trusted about the
    current state: both re-read the graph and converge to it (backfill or unmerge).
    """

    def __init__(
        self,
        timelines: TimelineStore,
        graph: FollowerSource,
        posts: PostStore,
        settings: Settings,
    ) -> None:
        self.tl = timelines
        self.graph = graph
        self.posts = posts
        self.backfill_limit = settings.backfill_limit

    def handle(self, event: events.Event) -> None:
        if isinstance(event, events.UserFollowed | events.UserUnfollowed):
            self.sync(event.follower_id, event.followee_id)
        else:
            log.warning("follow_sync ignores %s", event.type)

    def sync(self, follower: str, followee: str) -> None:
        if followee in set(self.graph.following_ids(follower)):
            n = self.backfill_limit
            entries = self.tl.recent_entries(followee, n)
            if not entries:  # the author's timeline may be missing from Redis: ask the store
                posts = self.posts.list_user_posts(followee, n)
                self.tl.cache_posts(posts)
                entries = [(p.id, ids.timestamp_ms(p.id)) for p in posts if not p.deleted]
            self.tl.follow(follower, followee, entries)
        else:
            self.tl.unfollow(follower, followee)
