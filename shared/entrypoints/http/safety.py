"""The safety routes (issue 21), served by the ``users`` function: blocks and mutes, reports,
and the moderators' and admins' routes. Every moderation route checks the caller's role from
the verified token (Request.caller) before anything else: 403 ``moderator_only`` /
``admin_only``. The rules live in shared/domain/safety.py; docs/safety.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared import ids
from shared.domain import errors, safety
from shared.domain import users as user_rules
from shared.entrypoints.http.api import Request, Response, Router
from shared.usecases.moderation import ModerationService
from shared.usecases.safety import SafetyService

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
REPORT_ID_LEN = 32


def _target(req: Request) -> str:
    uid = req.params["id"]
    if not user_rules.is_valid_user_id(uid):
        raise errors.InvalidInput(f"user id {user_rules.USER_ID_RULE}", details={"field": "id"})
    return uid


def _post_id(req: Request) -> int:
    try:
        return ids.parse_id(req.params["id"])
    except ValueError as exc:
        raise errors.InvalidInput("post id must be a decimal string of up to 19 digits") from exc


def _report_id(req: Request) -> str:
    rid = req.params["id"]
    if len(rid) != REPORT_ID_LEN or any(c not in "0123456789abcdef" for c in rid):
        raise errors.InvalidInput("report id must be 32 hex digits", details={"field": "id"})
    return rid


def _valid_post(raw: str) -> bool:
    try:
        ids.parse_id(raw)
    except ValueError:
        return False
    return True


def _page(req: Request) -> tuple[int, str | None]:
    limit = req.int_query("limit", DEFAULT_LIMIT, lo=1, hi=MAX_LIMIT)
    cursor = req.query.get("cursor") or None
    if cursor is not None and len(cursor) > 512:
        raise errors.InvalidInput("cursor is too long", details={"field": "cursor"})
    return limit, cursor


def add_routes(
    r: Router,
    safety_service: Callable[[], SafetyService],
    moderation: Callable[[], ModerationService],
) -> None:
    def state(kind: safety.Kind, on: bool) -> Callable[[Request], Response]:
        def handle(req: Request) -> Response:
            caller, target = req.caller_user_id(), _target(req)
            svc = safety_service()
            svc.set(kind, caller, target, on)
            flags = svc.s.flags(caller, [target]).get(target, "")
            return {"id": target, "blocking": safety.BLOCKS in flags,
                    "muting": safety.MUTES in flags}, 200  # fmt: skip

        return handle

    for kind in ("block", "mute"):
        path = f"/v1/users/{{id}}/{kind}"
        r.route("PUT", path, action="follow")(state(kind, True))  # type: ignore[arg-type]
        r.route("DELETE", path, action="follow")(state(kind, False))  # type: ignore[arg-type]

    def listing(kind: safety.Kind) -> Callable[[Request], Response]:
        def handle(req: Request) -> Response:
            caller = req.caller_user_id()
            limit, cursor = _page(req)
            items, nxt = safety_service().list(kind, caller, limit, cursor)
            return {"items": [i.user.to_json() for i in items], "next_cursor": nxt}, 200

        return handle

    r.route("GET", "/v1/me/blocks")(listing("block"))
    r.route("GET", "/v1/me/mutes")(listing("mute"))

    @r.route("POST", "/v1/reports", action="report")
    def report(req: Request) -> Response:
        caller = req.caller_user_id()
        draft = safety.parse_report(req.json(), user_rules.is_valid_user_id, _valid_post)
        stored, created = moderation().report(caller, draft)
        shown = {k: v for k, v in stored.items() if k not in ("reporter_id", "target_author_id")}
        return shown, (201 if created else 200)

    def moderator(req: Request) -> tuple[str, ModerationService]:
        caller = req.caller()
        svc = moderation()
        svc.require_moderator(caller.uid, caller.claims)
        return caller.uid, svc

    def listed(items: list[dict[str, Any]], nxt: str | None) -> Response:
        return {"items": items, "next_cursor": nxt}, 200

    @r.route("GET", "/v1/moderation/reports")
    def open_reports(req: Request) -> Response:
        _, svc = moderator(req)
        limit, cursor = _page(req)
        return listed(*svc.open_reports(limit, cursor))

    @r.route("GET", "/v1/moderation/audit")
    def audit(req: Request) -> Response:
        _, svc = moderator(req)
        limit, cursor = _page(req)
        return listed(*svc.audit_log(limit, cursor))

    @r.route("POST", "/v1/moderation/reports/{id}/dismiss", action="write")
    def dismiss(req: Request) -> Response:
        uid, svc = moderator(req)
        rid = _report_id(req)
        return svc.dismiss(uid, rid, safety.parse_reason(req.json())), 200

    @r.route("POST", "/v1/moderation/posts/{id}/remove", action="write")
    def remove(req: Request) -> Response:
        uid, svc = moderator(req)
        pid = _post_id(req)
        return svc.remove_post(uid, pid, safety.parse_reason(req.json())), 200

    @r.route("PUT", "/v1/moderation/users/{id}/suspension", action="write")
    def suspend(req: Request) -> Response:
        uid, svc = moderator(req)
        target = _target(req)
        return svc.suspend(uid, target, safety.parse_reason(req.json()), True), 200

    @r.route("DELETE", "/v1/moderation/users/{id}/suspension", action="write")
    def unsuspend(req: Request) -> Response:
        uid, svc = moderator(req)
        return svc.suspend(uid, _target(req), "", False), 200

    def admin(req: Request) -> tuple[str, ModerationService]:
        caller = req.caller()
        ModerationService.require_admin(caller.claims)
        return caller.uid, moderation()

    @r.route("PUT", "/v1/admin/moderators/{id}", action="write")
    def grant(req: Request) -> Response:
        uid, svc = admin(req)
        return svc.set_moderator(uid, _target(req), True), 200

    @r.route("DELETE", "/v1/admin/moderators/{id}", action="write")
    def revoke(req: Request) -> Response:
        uid, svc = admin(req)
        return svc.set_moderator(uid, _target(req), False), 200
