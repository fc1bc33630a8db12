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

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

from shared import events, observability
from shared.domain import account as domain
from shared.domain import errors, exports
from shared.domain import users as users_domain
from shared.domain.conversations import Kind
from shared.domain.media import media_json, upload_object_name
from shared.domain.model import User
from shared.domain.users import Position, UserPage
from shared.ids import now_ms
from shared.ports import (
    AccountData,
    AccountGraph,
    AvatarSource,
    EngagementErasure,
    EventPublisher,
    ExportFiles,
    ExportRecords,
    KeyShredder,
    LikesOf,
    MediaObjects,
    MentionErasure,
    NotificationForgetting,
    SignInAccounts,
    TimelineErasure,
)

log = logging.getLogger(__name__)

ACCOUNT_EVENTS_TOPIC = "account-events"


class ExportGraph(Protocol):
    def get_user(self, uid: str) -> User | None: ...

    def followers(self, uid: str, limit: int, after: Position | None = None) -> UserPage | None: ...

    def following(self, uid: str, limit: int, after: Position | None = None) -> UserPage | None: ...


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
        engagement: EngagementErasure,
        mentions: MentionErasure | None = None,
        exports: ExportFiles | None = None,
        notifications: Callable[[], NotificationForgetting] | None = None,
    ) -> None:
        self._exports = exports
        # the erased account leaves the others' notification rows (docs/notifications.md)
        self._notifications = notifications
        self._engagement = engagement
        self._mentions = mentions
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
        self._erase_engagement(uid, followers)
        self._mark_mentions_deleted(uid)
        self._tl.erase(uid, sorted(post_ids), followers)
        for rec in self._data.media_of(uid):
            self._media.delete_variants(rec.media_id)
            self._media.delete_upload_object(upload_object_name(rec.media_id))
        if self._exports is not None:
            self._exports.delete_prefix(f"exports/{domain.subject_key(uid)}/")
        self._data.delete_export_record(uid)
        self._data.delete_all(uid)
        if self._notifications is not None:
            self._notifications().forget_actor(uid)
        self._graph.erase_user(uid)
        self._accounts.delete(uid)
        self._tl.delete_keys_naming(uid)
        self._data.mark_deleted(uid)
        log.info("account erased: %d posts, %d followers' timelines", len(post_ids),
                 len(followers))  # fmt: skip

    def _mark_mentions_deleted(self, uid: str) -> None:
        """Others' posts that mention them: each mention is resolved to "deleted user" (the
        span stays, marked deleted, without their id) in the read model, and the cached bodies
        are dropped before and after; the other author's text keeps what they typed."""
        if self._mentions is None:
            return
        pids = self._mentions.posts_mentioning(uid)
        if not pids:
            return
        self._tl.forget_bodies(pids)
        self._mentions.forget_mentions_of(uid, pids)
        self._tl.forget_bodies(pids)

    def _erase_engagement(self, uid: str, followers: list[str]) -> None:
        """Their likes and reposts of anyone's posts: the reposts out of their followers'
        timelines (before their own keys go: the repost records are found through them), then
        the records and their outbox events; the posts' counters are dropped before and after
        the records go, so a read in between cannot leave a counter rebuilt with them in it."""
        switches = self._engagement.switches_of_user(uid)
        reposted = sorted({s.post_id for s in switches if s.kind is Kind.REPOST})
        engaged = sorted({s.post_id for s in switches})
        self._tl.erase_reposts(uid, reposted, followers)
        self._tl.forget_engagement(engaged)
        # Others' likes and reposts of their posts name them too (the posts' author).
        self._engagement.delete_switches(switches + self._engagement.switches_on_posts_by(uid))
        self._tl.forget_engagement(engaged)


# ---- export (art. 20: portability) -----------------------------------------------------------

EXPORT_FORMAT = "kwetter-export/1"
EXPORT_URL_TTL = dt.timedelta(minutes=15)
EXPORT_REQUESTS_TOPIC = "export-requests"


class AccountExporter:
    """POST /v1/me/export records an export ``queued`` and publishes ``ExportRequested``
    (``start``; the record is the outbox: ``published`` until Pub/Sub acked it, the outbox
    relay re-publishes it otherwise); the account exporter function builds the archive part by
    part (``build``: ``building``, parts done / total, then ``ready``) into the private exports
    bucket; GET /v1/me/export answers the status and, when ready, a signed URL valid
    EXPORT_URL_TTL (``status``). Rules in shared/domain/exports.py; docs/privacy.md."""

    def __init__(
        self,
        *,
        graph: ExportGraph,
        data: AccountData,
        records: ExportRecords,
        files: ExportFiles,
        publisher: EventPublisher | None = None,
        likes: LikesOf | None = None,
        avatars: AvatarSource | None = None,
    ) -> None:
        self._graph = graph
        self._data = data
        self._records = records
        self._files = files
        self._publisher = publisher
        self._likes = likes
        self._avatars = avatars

    def start(self, uid: str) -> dict[str, Any]:
        if self._graph.get_user(uid) is None:
            raise users_domain.no_user(uid, caller=uid)
        earlier = self._records.export_record(uid)
        now = now_ms()
        if not exports.check_may_start(earlier, now):
            return self.status(uid)  # the running one, not a second
        export_id = str(now)
        self._records.save_export_record(uid, {
            "user_id": uid, "export_id": export_id, "status": exports.QUEUED,
            "created_ms": now, "updated_ms": now, "parts_done": 0,
            "parts_total": len(exports.PARTS), "published": False,
        })  # fmt: skip
        try:
            self.announce(uid, export_id, now)
        except Exception:  # the record is the outbox: the next tick publishes it
            log.warning("export %s not published; the outbox relay will", export_id, exc_info=True)
        return self.status(uid)

    def announce(self, uid: str, export_id: str, requested_ms: int) -> None:
        if self._publisher is None:
            raise errors.Unavailable("data export is not wired here")
        event = events.ExportRequested(
            event_id=exports.export_event_id(uid, export_id), occurred_ms=now_ms(),
            trace_id=observability.current_trace(), user_id=uid, export_id=export_id,
            requested_ms=requested_ms,
        )  # fmt: skip
        self._publisher.publish(EXPORT_REQUESTS_TOPIC, event)
        self._update(uid, export_id, published=True)

    def relay(self, *, limit: int = 100, min_age_ms: int = 10_000) -> int:
        """The outbox tick: publish the exports whose request never got Pub/Sub's ack."""
        n = 0
        for rec in self._records.unpublished_exports(limit, now_ms() - min_age_ms):
            if rec.get("status") == exports.QUEUED and rec.get("user_id"):
                self.announce(str(rec["user_id"]), str(rec["export_id"]), int(rec["created_ms"]))
                n += 1
        return n

    def _update(self, uid: str, export_id: str, **fields: Any) -> dict[str, Any] | None:
        """Change this export's record; None (nothing written) when it is not the current one:
        a newer export replaced it, or the account was erased."""
        return self._records.update_export_record(uid, export_id, fields)

    def status(self, uid: str) -> dict[str, Any]:
        rec = self._records.export_record(uid)
        if rec is None:
            raise errors.NotFound("no export yet: POST /v1/me/export starts one")
        out = exports.progress_json(rec, now_ms())
        if out["status"] == exports.READY:
            expires = dt.datetime.now(dt.UTC) + EXPORT_URL_TTL
            out["url"] = self._files.signed_url(str(rec["object"]), EXPORT_URL_TTL)
            out["expires_at"] = expires.isoformat(timespec="seconds").replace("+00:00", "Z")
        return out

    def handle(self, event: events.Event) -> None:
        if isinstance(event, events.ExportRequested):
            self.build(event.user_id, event.export_id)
        else:
            log.warning("account_exporter ignores %s", event.type)

    def build(self, uid: str, export_id: str) -> None:
        """Idempotent: a redelivery of a ready (or failed, or superseded) export does nothing;
        one of a building export builds the same object again (one archive, same status)."""
        rec = self._records.export_record(uid)
        if rec is None or rec.get("export_id") != export_id:
            log.info("export %s superseded or erased; skipped", export_id)
            return
        if rec.get("status") in (exports.READY, exports.FAILED):
            return
        user = self._graph.get_user(uid)
        if user is None:
            self._update(uid, export_id, status=exports.FAILED, reason="account_gone",
                         updated_ms=now_ms())  # fmt: skip
            return
        total = len(exports.PARTS)
        self._update(uid, export_id, status=exports.BUILDING, parts_done=0, parts_total=total,
                     published=True, updated_ms=now_ms())  # fmt: skip
        archive: dict[str, Any] = {"format": EXPORT_FORMAT, "generated_ms": now_ms(),
                                   "user_id": uid}  # fmt: skip
        for i, part in enumerate(exports.PARTS):
            archive.update(self._part(part, uid, user))
            if self._update(uid, export_id, parts_done=i + 1, updated_ms=now_ms()) is None:
                return  # erased (or replaced) meanwhile: stop reading their data
        archive["also_stored"] = ALSO_STORED
        name = exports.object_name(uid, export_id)
        self._files.put(name, json.dumps(archive, ensure_ascii=False, indent=1).encode("utf-8"))
        done = self._update(uid, export_id, status=exports.READY, object=name,
                            ready_ms=now_ms(), updated_ms=now_ms())  # fmt: skip
        if done is None or self._graph.get_user(uid) is None:
            # The account was erased while this was built: the eraser may have swept the
            # prefix before the object was written; nothing of theirs may outlive it.
            self._files.delete_prefix(f"exports/{domain.subject_key(uid)}/")

    def archive(self, uid: str, user: User) -> dict[str, Any]:
        """The whole archive at once (tests, tools); the function builds it part by part."""
        out: dict[str, Any] = {"format": EXPORT_FORMAT, "generated_ms": now_ms(), "user_id": uid}
        for part in exports.PARTS:
            out.update(self._part(part, uid, user))
        out["also_stored"] = ALSO_STORED
        return out

    def _part(self, part: str, uid: str, user: User) -> dict[str, Any]:
        if part == "profile":
            return {"profile": self._profile(uid, user)}
        if part == "posts":
            posts = sorted(self._data.posts_of(uid), key=lambda p: p.id)
            return {"posts": [{**p.to_json(), "deleted": p.deleted} for p in posts]}
        if part == "media":
            return {"media": [
                {"id": m.media_id, "purpose": m.purpose, "status": m.status, "alt": m.alt,
                 "created_ms": m.created_ms, "content_type": m.declared_type,
                 "objects": [v.object_name for v in m.variants]}
                for m in self._data.media_of(uid)
            ]}  # fmt: skip
        if part == "following":
            return {"following": [_brief(u) for u in self._all(self._graph.following, uid)]}
        if part == "followers":
            return {"followers": [_brief(u) for u in self._all(self._graph.followers, uid)]}
        if part == "likes":
            return {"likes": self._liked(uid)}
        raise ValueError(f"unknown export part {part}")

    def _profile(self, uid: str, user: User) -> dict[str, Any]:
        profile = user.to_json()
        if self._avatars is not None:
            found = self._avatars.get_avatars([uid])
            profile["avatar"] = media_json(found[uid]) if uid in found else None
        return profile

    def _liked(self, uid: str) -> list[str]:
        liked: list[str] = []
        if self._likes is None:
            return liked
        before: str | None = None
        while True:
            page = self._likes.liked_by(uid, 100, before)
            liked += [str(pid) for pid, _ in page]
            if len(page) < 100:
                return liked
            before = page[-1][1]

    @staticmethod
    def _all(page_of: Any, uid: str) -> list[User]:
        out: list[User] = []
        after = None
        while True:
            page = page_of(uid, 100, after)
            if page is None:
                return out
            out += page.users
            if page.next is None:
                return out
            after = page.next


ALSO_STORED = {
    "timelines": "copies of your posts' ids in your followers' home timelines "
    "(Redis), removed when you delete your account",
    "rate_limit_windows": "times of your recent writes, kept at most a day",
    "event_log": "your posts as events, sealed with your data key (Firestore, "
    "Pub/Sub retention); destroying the key on deletion makes them unreadable",
}


def _brief(u: User) -> dict[str, str]:
    return {"id": u.id, "handle": u.handle, "display_name": u.display_name}
