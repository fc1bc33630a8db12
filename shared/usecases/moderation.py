"""Reports and moderators (issue 21, docs/safety.md).

Promises:
- anyone signed in reports a post or a user (a reason from the fixed list); one open report per
  reporter and target, so a retried or repeated report is the same report;
- roles come from the verified token's custom claims (``moderator``, ``admin``; an admin is a
  moderator too); a moderator also needs the granted record (``moderators/{uid}``), so a
  revocation takes effect at once, before the token's claim expires;
- a moderator removes a post (tombstoned as its author's delete does: it leaves every timeline
  through the same PostDeleted event), suspends a user (cannot post or follow; their posts are
  hidden from every timeline) or dismisses a report; admins grant and revoke the moderator role;
- every such action is appended to the audit log first, under an id derived from the action, so
  a retry after a crash writes it once and no action is ever done without its entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from shared.domain import errors, safety
from shared.domain import users as user_rules
from shared.domain.model import Post, User
from shared.ids import now_ms
from shared.ports import ModerationStore, RoleGrants
from shared.usecases.safety import Suspensions


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]


class ModerationService:
    def __init__(
        self,
        store: ModerationStore,
        suspensions: Suspensions,
        *,
        get_post: Callable[[int], Post | None],
        get_user: Callable[[str], User | None],
        remove_post: Callable[[int], bool],
        roles: Callable[[], RoleGrants],
    ) -> None:
        self.store = store
        self.suspensions = suspensions
        self._get_post = get_post
        self._get_user = get_user
        self._remove_post = remove_post
        self._roles = roles

    # ---- who may ---------------------------------------------------------------------------

    def require_moderator(self, uid: str, claims: dict[str, Any]) -> None:
        roles = safety.roles_of(claims)
        safety.require_moderator(roles)
        if safety.ADMIN not in roles and not self.store.is_moderator(uid):
            raise safety.ModeratorOnly("moderators only (the role was revoked)")

    @staticmethod
    def require_admin(claims: dict[str, Any]) -> None:
        safety.require_admin(safety.roles_of(claims))

    # ---- reports ---------------------------------------------------------------------------

    def report(self, reporter: str, draft: safety.ReportDraft) -> tuple[dict[str, Any], bool]:
        author: str | None = None
        if draft.subject == "post":
            post = self._get_post(int(draft.target))
            if post is None or post.deleted:
                raise errors.PostNotFound(f"no post {draft.target}")
            author = post.author_id
        elif self._get_user(draft.target) is None:
            raise user_rules.no_user(draft.target)
        if draft.subject == "user" and draft.target == reporter:
            raise errors.InvalidInput("you cannot report yourself")
        rid = _digest("report", reporter, draft.subject, draft.target)
        report = {
            "id": rid, "reporter_id": reporter, "subject": draft.subject,
            "target": draft.target, "target_author_id": author, "reason": draft.reason,
            "text": draft.text, "created_ms": now_ms(),
        }  # fmt: skip
        created = self.store.add_report(report)
        stored = self.store.get_report(rid) or {**report, "status": "open"}
        return stored, created

    def open_reports(
        self, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        return self.store.open_reports(limit, cursor)

    def dismiss(self, moderator: str, report_id: str, reason: str) -> dict[str, Any]:
        if self.store.get_report(report_id) is None:
            raise errors.NotFound(f"no report {report_id}")
        self._audit("dismiss_report", moderator, report_id, reason, key=report_id)
        self.store.close_report(report_id, moderator, "dismiss_report")
        return {"action": "dismiss_report", "target": report_id, "changed": True}

    # ---- actions ---------------------------------------------------------------------------

    def remove_post(self, moderator: str, post_id: int, reason: str) -> dict[str, Any]:
        post = self._get_post(post_id)
        if post is None:
            raise errors.PostNotFound(f"no post {post_id}")
        # a post is removed once: its entry's id is the post's
        self._audit("remove_post", moderator, str(post_id), reason, key=str(post_id),
                    author_id=post.author_id)  # fmt: skip
        changed = self._remove_post(post_id)
        closed = self.store.close_reports("post", str(post_id), moderator, "remove_post")
        return {"action": "remove_post", "target": str(post_id), "changed": changed,
                "closed_reports": closed}  # fmt: skip

    def suspend(self, moderator: str, uid: str, reason: str, on: bool) -> dict[str, Any]:
        if self._get_user(uid) is None:
            raise user_rules.no_user(uid)
        if on and uid == moderator:
            raise errors.InvalidInput("you cannot suspend yourself")
        action = "suspend" if on else "unsuspend"
        was = bool(self.suspensions.graph.suspended_among([uid]))
        if was != on:
            # one entry per change: keyed by the state it leaves and the minute it is asked in
            self._audit(action, moderator, uid, reason, key=f"{uid}:{now_ms() // 60_000}")
            self.suspensions.set(uid, on)
        else:
            self.suspensions.cache.put({uid: on})
        closed = self.store.close_reports("user", uid, moderator, action) if on else 0
        return {"action": action, "target": uid, "changed": was != on, "closed_reports": closed}

    def set_moderator(self, admin: str, uid: str, on: bool) -> dict[str, Any]:
        if self._get_user(uid) is None:
            raise user_rules.no_user(uid)
        action = "grant_moderator" if on else "revoke_moderator"
        was = self.store.is_moderator(uid)
        self._audit(action, admin, uid, "", key=f"{uid}:{now_ms() // 60_000}")
        if not self._roles().set_role(uid, safety.MODERATOR, on):
            raise errors.NotFound(f"no sign-in account {uid}", details={"id": uid})
        self.store.set_moderator(uid, on, now_ms())
        return {"id": uid, "role": safety.MODERATOR, "granted": on, "changed": was != on}

    def audit_log(self, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        return self.store.audit_log(limit, cursor)

    def _audit(self, action: str, actor: str, target: str, reason: str, *, key: str,
               **extra: Any) -> None:  # fmt: skip
        self.store.audit({
            "id": _digest(action, key), "action": action, "actor_id": actor, "target": target,
            "reason": reason, "at_ms": now_ms(), **extra,
        })  # fmt: skip
