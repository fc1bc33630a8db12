"""The timeline function's HTTP routes: ``GET /v1/timeline``, ``GET /v1/users/{id}/posts`` and
the conversation reads ``GET /v1/posts/{id}/thread``, ``/v1/posts/{id}/likes`` and
``/v1/users/{id}/likes`` (contracts/openapi.yaml, backend ``${timeline_url}``). Parsing and
status codes only; the reads are shared.usecases.timeline and shared.usecases.conversations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from shared import ids
from shared.domain import errors
from shared.domain.timeline import head_tag
from shared.entrypoints.http.api import Request, Response, Router
from shared.usecases.timeline import TimelineReader

if TYPE_CHECKING:
    from shared.usecases.conversations import ConversationsReader


def _before(req: Request) -> int | None:
    raw = req.query.get("before")
    if raw is None or raw == "":
        return None
    try:
        return ids.parse_id(raw)
    except ValueError as exc:
        raise errors.InvalidInput("before must be a post id (a string of digits)") from exc


def _post_id(req: Request) -> int:
    try:
        return ids.parse_id(req.params["id"])
    except ValueError as exc:
        raise errors.InvalidInput("post id must be a decimal string of up to 19 digits") from exc


def router(
    reader: Callable[[], TimelineReader],
    conversations: Callable[[], ConversationsReader] | None = None,
) -> Router:
    """``reader()`` gives the use case; it is first called by the first request, so building
    the router connects to nothing (bootstrap passes the container's cached entry)."""
    r = Router()

    def convo() -> ConversationsReader:
        if conversations is None:
            raise errors.Unavailable("conversations are not available in this deployment")
        return conversations()

    @r.route("GET", "/v1/posts/{id}/thread")
    def thread(req: Request) -> Response:
        uid = req.caller().uid
        order = req.query.get("order") or "oldest"
        if order not in ("oldest", "newest"):
            raise errors.InvalidInput("order must be oldest or newest")
        limit = req.int_query("limit", 20, lo=1, hi=100)
        body = convo().thread(
            uid, _post_id(req), newest=order == "newest", limit=limit,
            cursor=req.query.get("cursor"),
        )  # fmt: skip
        return body, 200

    @r.route("GET", "/v1/posts/{id}/likes")
    def post_likes(req: Request) -> Response:
        uid = req.caller().uid
        limit = req.int_query("limit", 20, lo=1, hi=100)
        return convo().post_likes(uid, _post_id(req), limit, req.query.get("cursor")), 200

    @r.route("GET", "/v1/users/{id}/likes")
    def user_likes(req: Request) -> Response:
        uid = req.caller().uid
        limit = req.int_query("limit", 20, lo=1, hi=100)
        return convo().user_likes(uid, req.params["id"], limit, req.query.get("cursor")), 200

    @r.route("GET", "/v1/timeline")
    def home(req: Request) -> Response:
        uid = req.caller().uid
        limit = req.int_query("limit", 20, lo=1, hi=100)
        before = _before(req)
        page = reader().home(uid, limit, before)
        body = page.to_json()
        if before is None:
            body["head"] = head_tag([p.id for p in page.posts])
        return body, 206 if page.regenerating else 200, {"Cache-Control": "no-store"}

    @r.route("GET", "/v1/timeline/newer")
    def newer(req: Request) -> Response:
        uid = req.caller().uid
        raw = req.query.get("after")
        try:
            after = ids.parse_id(raw or "")
        except ValueError as exc:
            raise errors.InvalidInput("after must be a post id (a string of digits)") from exc
        return reader().newer(uid, after).to_json(), 200, {"Cache-Control": "no-store"}

    @r.route("GET", "/v1/users/{id}/posts")
    def user_posts(req: Request) -> Response:
        viewer = req.caller().uid
        limit = req.int_query("limit", 20, lo=1, hi=100)
        page = reader().user_posts(req.params["id"], limit, _before(req), viewer=viewer)
        return page.to_json(), 200

    return r
