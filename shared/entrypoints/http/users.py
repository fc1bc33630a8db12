"""The ``users`` HTTP function's routes: every route of shared/contracts/openapi.yaml whose
backend is ``${users_url}``. Parses ids, limits, cursors and bodies into the use cases' terms
(shared/usecases/users.py) and their answers into JSON; the rules live in the domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.domain import errors, safety
from shared.domain import users as domain
from shared.domain.model import User
from shared.entrypoints.http import safety as safety_routes
from shared.entrypoints.http.api import Request, Response, Router
from shared.usecases.account import AccountExporter, AccountService
from shared.usecases.moderation import ModerationService
from shared.usecases.safety import SafetyService, Suspensions
from shared.usecases.users import Profile, UsersService

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


def _path_user_id(req: Request) -> str:
    uid = req.params["id"]
    if not domain.is_valid_user_id(uid):
        raise errors.InvalidInput(f"user id {domain.USER_ID_RULE}", details={"field": "id"})
    return uid


def _path_handle(req: Request) -> str:
    handle = req.params["handle"]
    # Malformed in the path is a bad request (400), not a rule broken by a body value (422).
    if not domain.is_valid_handle(handle):
        raise errors.InvalidInput(domain.HANDLE_RULE, details={"field": "handle"})
    return handle


def _limit(req: Request) -> int:
    return req.int_query("limit", DEFAULT_LIMIT, lo=1, hi=MAX_LIMIT)


def _body_field(body: dict[str, Any], name: str, parse: Callable[[object], str]) -> str:
    """A required string field, as the domain's validator returns it (which raises 422)."""
    if name not in body or body[name] is None:
        raise errors.InvalidInput(f"{name} is required", details={"field": name})
    if not isinstance(body[name], str):
        raise errors.InvalidInput(f"{name} must be a string", details={"field": name})
    return parse(body[name])


def _page(users: list[User], next_cursor: str | None) -> dict[str, Any]:
    return {"items": [u.to_json() for u in users], "next_cursor": next_cursor}


def _profile(p: Profile) -> dict[str, Any]:
    body = p.user.to_json()
    if p.followed_by_me is not None:
        body["followed_by_me"] = p.followed_by_me
    return body


def router(
    service: UsersService,
    account: Callable[[], AccountService] | None = None,
    exporter: Callable[[], AccountExporter] | None = None,
    safety_service: Callable[[], SafetyService] | None = None,
    moderation: Callable[[], ModerationService] | None = None,
    suspensions: Callable[[], Suspensions] | None = None,
) -> Router:
    """``account``: a provider of the deletion use case (DELETE /v1/me, the 410 of GET /v1/me);
    without it the routes answer 503 (a router built for tests of the profile routes only).
    ``safety_service`` and ``moderation``: the safety routes (shared/entrypoints/http/safety.py)
    and the block flags of a profile; without them those routes answer 503."""
    r = Router()

    def safety_wired() -> SafetyService:
        if safety_service is None:
            raise errors.Unavailable("blocks and mutes are not wired here")
        return safety_service()

    def moderation_wired() -> ModerationService:
        if moderation is None:
            raise errors.Unavailable("moderation is not wired here")
        return moderation()

    safety_routes.add_routes(r, safety_wired, moderation_wired)

    def shown(p: Profile, viewer: str) -> dict[str, Any]:
        body = _profile(p)
        if p.followed_by_me is None or safety_service is None:
            return body
        flags = safety_service().s.flags(viewer, [p.user.id]).get(p.user.id, "")
        body["blocked_by_me"] = safety.BLOCKS in flags
        body["blocks_me"] = safety.BLOCKED_BY in flags
        body["muted_by_me"] = safety.MUTES in flags
        if safety.BLOCKED_BY in flags:
            # they are told they are blocked, and nothing of what the other wrote since
            body["bio"] = ""
        if suspensions is not None:
            body["suspended"] = bool(suspensions().suspended_among([p.user.id]))
        return body

    def accounts() -> AccountService:
        if account is None:
            raise errors.Unavailable("account deletion is not wired here")
        return account()

    @r.route("POST", "/v1/users", action="register")
    def register(req: Request) -> Response:
        uid = req.caller_user_id()
        body = req.json()
        handle = _body_field(body, "handle", domain.validate_handle)
        name = _body_field(body, "display_name", domain.validate_display_name)
        if account is not None:
            # A deletion asked (even one not yet carried out) is final: the account cannot be
            # registered again under the same sign-in while the eraser works through it.
            account().check_not_erased(uid)
        user, created = service.register(uid, handle, name)
        return user.to_json(), (201 if created else 200), {"Location": f"/v1/users/{user.id}"}

    @r.route("GET", "/v1/me")
    def me(req: Request) -> Response:
        uid = req.caller_user_id()
        try:
            return service.me(uid).to_json(), 200
        except errors.NotFound:
            if account is not None:
                account().check_not_erased(uid)  # 410 account_deleted once asked
            raise

    @r.route("DELETE", "/v1/me", action="write")
    def delete_me(req: Request) -> Response:
        uid = req.caller_user_id()
        body = req.json()
        return {"status": accounts().request_deletion(uid, body)}, 202

    @r.route("PATCH", "/v1/me", action="write")
    def edit_me(req: Request) -> Response:
        uid = req.caller_user_id()
        change = domain.parse_profile_change(req.json())
        return service.update_profile(uid, change).to_json(), 200

    def exports() -> AccountExporter:
        if exporter is None:
            raise errors.Unavailable("data export is not wired here")
        return exporter()

    @r.route("POST", "/v1/me/export", action="write")
    def start_export(req: Request) -> Response:
        return exports().start(req.caller_user_id()), 202

    @r.route("GET", "/v1/me/export")
    def export_status(req: Request) -> Response:
        return exports().status(req.caller_user_id()), 200

    @r.route("GET", "/v1/me/suggestions")
    def suggestions(req: Request) -> Response:
        uid = req.caller_user_id()
        items = [
            {"user": s.user.to_json(), "degree": s.degree, "mutual_count": s.mutual_count}
            for s in service.suggestions(uid, _limit(req))
        ]
        return {"items": items}, 200

    @r.route("GET", "/v1/users/by-handle/{handle}")
    def by_handle(req: Request) -> Response:
        caller = req.caller_user_id()
        return shown(service.profile_by_handle(_path_handle(req), caller), caller), 200

    @r.route("GET", "/v1/users/{id}")
    def get_user(req: Request) -> Response:
        caller = req.caller_user_id()
        return shown(service.profile(_path_user_id(req), caller), caller), 200

    @r.route("PUT", "/v1/users/{id}/follow", action="follow")
    def follow(req: Request) -> Response:
        caller = req.caller_user_id()
        changed = service.follow(caller, _path_user_id(req))
        return {"following": True, "changed": changed}, 200

    @r.route("DELETE", "/v1/users/{id}/follow", action="follow")
    def unfollow(req: Request) -> Response:
        caller = req.caller_user_id()
        changed = service.unfollow(caller, _path_user_id(req))
        return {"following": False, "changed": changed}, 200

    @r.route("GET", "/v1/users/{id}/followers")
    def followers(req: Request) -> Response:
        viewer = req.caller_user_id()
        uid, limit, cursor = _path_user_id(req), _limit(req), req.query.get("cursor") or None
        return _page(*service.followers(uid, limit, cursor, viewer)), 200

    @r.route("GET", "/v1/users/{id}/following")
    def following(req: Request) -> Response:
        viewer = req.caller_user_id()
        uid, limit, cursor = _path_user_id(req), _limit(req), req.query.get("cursor") or None
        return _page(*service.following(uid, limit, cursor, viewer)), 200

    return r
