"""The outbox relay: publish every post event the write path committed but did not publish,
so that a post whose publish failed still reaches its followers.

Runs once per tick on ``outbox-ticks`` (Cloud Scheduler in GCP, the local stack's ticker on a
laptop). A pass drains the backlog oldest first, in batches, within a time budget that fits one
invocation; what is left waits for the next tick. An event is marked published only after
Pub/Sub acknowledged it, so a crash anywhere makes a duplicate at worst, never a loss.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from shared import ids
from shared.domain.posts import PostEvent
from shared.ports import AsyncPublisher, Outbox, SocialRelay
from shared.usecases.posts import POST_EVENTS_TOPIC

log = logging.getLogger(__name__)


@dataclass
class RelayStats:
    published: int = 0
    failed: int = 0
    batches: int = 0


class OutboxRelay:
    def __init__(
        self,
        outbox: Outbox,
        publisher: AsyncPublisher,
        *,
        topic: str = POST_EVENTS_TOPIC,
        batch_size: int = 200,
        min_age_ms: int = 10_000,
        time_budget_seconds: float = 45.0,
    ) -> None:
        self._outbox = outbox
        self._publisher = publisher
        self._topic = topic
        self._batch_size = batch_size
        # The request that committed an event publishes it itself within milliseconds; leaving
        # young events alone avoids racing it into a duplicate.
        self._min_age_ms = min_age_ms
        self._budget = time_budget_seconds

    def run_once(self) -> RelayStats:
        stats = RelayStats()
        deadline = time.monotonic() + self._budget
        while time.monotonic() < deadline:
            cutoff = ids.now_ms() - self._min_age_ms
            batch = list(self._outbox.unpublished_events(self._batch_size, older_than_ms=cutoff))
            if not batch:
                break
            stats.batches += 1
            futures = [(e, self._publisher.publish_async(self._topic, e)) for e in batch]
            done: list[PostEvent] = []
            for event, future in futures:
                try:
                    future.result(timeout=60)
                except Exception:
                    stats.failed += 1
                    log.warning("relay could not publish %s", event.event_id, exc_info=True)
                else:
                    done.append(event)
            if done:
                self._outbox.mark_published(done)
            stats.published += len(done)
            # Pub/Sub is refusing: stop here, the next tick retries. A short batch means the
            # backlog is drained.
            if stats.failed or len(batch) < self._batch_size:
                break
        if stats.published or stats.failed:
            log.info(
                "outbox relay: %d published, %d failed", stats.published, stats.failed,
                extra={"json_fields": {"published": stats.published, "failed": stats.failed}},
            )  # fmt: skip
        return stats


class TickRelays:
    """One tick's work: post events from Firestore's outbox, then the follow and unfollow
    events the graph still marks as unannounced (the users part's relay, behind SocialRelay)."""

    def __init__(
        self,
        posts: OutboxRelay,
        social: SocialRelay,
        engagement: SocialRelay | None = None,
        *,
        exports: SocialRelay | None = None,
    ) -> None:
        self.posts = posts
        self.social = social
        self.engagement = engagement  # likes and reposts (shared.usecases.engagement)
        self.exports = exports  # data exports' ExportRequested (shared.usecases.account)

    def run_once(self) -> RelayStats:
        stats = self.posts.run_once()
        # Both stores are independent: one being down must not stall the other's backlog.
        try:
            stats.published += self.social()
        except Exception:
            log.exception("social events relay failed; next tick retries")
            stats.failed += 1
        if self.engagement is not None:
            try:
                stats.published += self.engagement()
            except Exception:
                log.exception("engagement events relay failed; next tick retries")
                stats.failed += 1
        if self.exports is not None:
            try:
                stats.published += self.exports()
            except Exception:
                log.exception("export requests relay failed; next tick retries")
                stats.failed += 1
        return stats
