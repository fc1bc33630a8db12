"""The notifications function's HTTP routes (contracts/openapi.yaml, ``${notifications_url}``):
``GET /v1/notifications``, ``GET /v1/notifications/unread``, ``POST /v1/notifications/read``.
Always the verified caller's own rows: no route takes a user id. Parsing and status codes
only; the rules are shared.domain.notifications, the reads shared.usecases.notifications."""

from __future__ import annotations

from collections.abc import Callable

from shared.domain import errors
from shared.domain import notifications as domain
from shared.entrypoints.http.api import Request, Response, Router
from shared.usecases.notifications import NotificationsService


def _only(req: Request, allowed: set[str]) -> None:
    unknown = sorted(set(req.query) - allowed)
    if unknown:
        raise errors.InvalidInput(f"unknown parameter {unknown[0]}", details={"field": unknown[0]})


def router(service: Callable[[], NotificationsService]) -> Router:
    r = Router()

    @r.route("GET", "/v1/notifications")
    def page(req: Request) -> Response:
        uid = req.caller().uid
        _only(req, {"limit", "cursor"})
        limit = req.int_query("limit", domain.PAGE_DEFAULT, lo=1, hi=domain.PAGE_MAX)
        cursor = req.query.get("cursor") or None
        return service().page(uid, limit, cursor).to_json(), 200

    @r.route("GET", "/v1/notifications/unread")
    def unread(req: Request) -> Response:
        uid = req.caller().uid
        _only(req, set())
        return {"unread": service().unread(uid)}, 200, {"Cache-Control": "private, no-store"}

    @r.route("POST", "/v1/notifications/read", action="write")
    def mark_read(req: Request) -> Response:
        uid = req.caller().uid
        _only(req, set())
        cursor = domain.parse_mark_read(req.json())
        return {"unread": service().mark_read(uid, cursor)}, 200

    return r
