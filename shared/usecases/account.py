"""Leaving the platform: asking for a deletion, and the erasure that follows (issue 23).

The request (``AccountService.request_deletion``, DELETE /v1/me) confirms, records the status,
hides the account from every lookup at once (GET /v1/me answers 410 account_deleted, the
profile 404) and publishes ``AccountDeleted``. The account eraser (``AccountEraser.handle``,
function ``account_eraser``) then removes the person from every store. Each step is idempotent
and the order makes a retry after a crash at any point finish the job (3x redelivery = once):

1. destroy the data key first: every sealed event of theirs — Firestore, retained Pub/Sub
   messages, backups — is noise from here on, and a replay meanwhile is a tombstone;
2. Redis, while the graph still knows their followers: their posts out of every home timeline
   (pushed copies) and of their own timeline (pulled ones), every key of theirs;
3. their media objects in both buckets, then every Firestore document of theirs;
4. the graph node and all its edges (the others' follower/following counts are degrees);
5. the Firebase Auth account; a last sweep of Redis (a read may have refilled a card);
6. the status says ``deleted``, with when.
"""

from __future__ import annotations

import logging

from shared import events, observability
from shared.domain import account as domain
from shared.domain import users as users_domain
from shared.domain.media import upload_object_name
from shared.ids import now_ms
from shared.ports import (
    AccountData,
    AccountGraph,
    EventPublisher,
    KeyShredder,
    MediaObjects,
    SignInAccounts,
    TimelineErasure,
)

log = logging.getLogger(__name__)

ACCOUNT_EVENTS_TOPIC = "account-events"


class AccountService:
    def __init__(self, graph: AccountGraph, data: AccountData, publisher: EventPublisher) -> None:
        self._graph = graph
        self._data = data
        self._publisher = publisher

    def request_deletion(self, uid: str, body: object) -> str:
        """The status after the request (``deleting``, or ``deleted`` when already done)."""
        user = self._graph.get_user(uid)
        if user is None:
            status = self._data.erasure_status(uid)
            if status is None:
                raise users_domain.no_user(uid, caller=uid)
            if status[0] == domain.DELETING:
                self._announce(uid)  # a retry: the first request may have died before this
            return status[0]
        domain.check_confirmation(body, user.handle)
        self._data.mark_deleting(uid)
        self._graph.mark_deleted(uid)
        self._announce(uid)
        return domain.DELETING

    def _announce(self, uid: str) -> None:
        event = events.AccountDeleted(
            event_id=domain.deletion_event_id(uid), occurred_ms=now_ms(),
            trace_id=observability.current_trace(), user_id=uid, requested_ms=now_ms(),
        )  # fmt: skip
        self._publisher.publish(ACCOUNT_EVENTS_TOPIC, event)

    def check_not_erased(self, uid: str) -> None:
        """Gone (410 account_deleted, with the status) once a deletion was asked."""
        status = self._data.erasure_status(uid)
        if status is not None:
            raise domain.gone(*status)


class AccountEraser:
    def __init__(
        self,
        *,
        graph: AccountGraph,
        data: AccountData,
        timelines: TimelineErasure,
        media: MediaObjects,
        accounts: SignInAccounts,
        keys: KeyShredder,
    ) -> None:
        self._graph = graph
        self._data = data
        self._tl = timelines
        self._media = media
        self._accounts = accounts
        self._keys = keys

    def handle(self, event: events.Event) -> None:
        if isinstance(event, events.AccountDeleted):
            self.erase(event.user_id)
        else:
            log.warning("account_eraser ignores %s", event.type)

    def erase(self, uid: str) -> None:
        self._keys.destroy(uid)
        post_ids = {p.id for p in self._data.posts_of(uid)} | self._data.logged_post_ids(uid)
        followers = [f for page in self._graph.iter_follower_pages(uid) for f in page]
        self._tl.erase(uid, sorted(post_ids), followers)
        for rec in self._data.media_of(uid):
            self._media.delete_variants(rec.media_id)
            self._media.delete_upload_object(upload_object_name(rec.media_id))
        self._data.delete_all(uid)
        self._graph.erase_user(uid)
        self._accounts.delete(uid)
        self._tl.delete_keys_naming(uid)
        self._data.mark_deleted(uid)
        log.info("account erased: %d posts, %d followers' timelines", len(post_ids),
                 len(followers))  # fmt: skip
