"""The search function's HTTP routes (contracts/openapi.yaml, backend ``${search_url}``):
``GET /v1/search/posts``, ``GET /v1/search/users``, ``GET /v1/hashtags/{tag}/posts`` and
``GET /v1/trends``. Parsing and status codes only; the rules are shared.domain.search and
shared.domain.trends, the reads shared.usecases.search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.domain import errors
from shared.domain import search as domain
from shared.domain.model import Post, User
from shared.entrypoints.http.api import Request, Response, Router
from shared.usecases.search import SearchService

MAX_USERS = 20


def _only(req: Request, allowed: set[str]) -> None:
    """Unknown parameters are refused: there is no ``from``/``offset`` to page deep with."""
    unknown = sorted(set(req.query) - allowed)
    if unknown:
        raise errors.InvalidInput(
            f"unknown parameter {unknown[0]}; pages continue with cursor",
            details={"field": unknown[0]},
        )


def _page(items: list[tuple[Post, User | None]], cursor: str | None) -> dict[str, Any]:
    return {"items": [p.to_json(a) for p, a in items], "next_cursor": cursor}


def router(service: Callable[[], SearchService]) -> Router:
    r = Router()

    @r.route("GET", "/v1/search/posts")
    def posts(req: Request) -> Response:
        viewer = req.caller().uid
        _only(req, {"q", "sort", "limit", "cursor"})
        limit = req.int_query("limit", domain.DEFAULT_PAGE, lo=1, hi=domain.MAX_PAGE)
        items, cursor = service().search_posts(
            req.query.get("q"), req.query.get("sort"), limit, req.query.get("cursor"), viewer
        )
        return _page(items, cursor), 200

    @r.route("GET", "/v1/hashtags/{tag}/posts")
    def tag_posts(req: Request) -> Response:
        viewer = req.caller().uid
        _only(req, {"limit", "cursor"})
        limit = req.int_query("limit", domain.DEFAULT_PAGE, lo=1, hi=domain.MAX_PAGE)
        items, cursor = service().tag_posts(
            req.params["tag"], limit, req.query.get("cursor"), viewer
        )
        return _page(items, cursor), 200

    @r.route("GET", "/v1/search/users")
    def users(req: Request) -> Response:
        viewer = req.caller().uid
        _only(req, {"q", "limit"})
        limit = req.int_query("limit", 8, lo=1, hi=MAX_USERS)
        found = service().search_users(req.query.get("q"), limit, viewer)
        return {"items": [u.to_json() for u in found]}, 200

    @r.route("GET", "/v1/trends")
    def trending(req: Request) -> Response:
        req.caller()
        _only(req, set())
        items = [t.to_json() for t in service().trending()]
        return {"items": items}, 200, {"Cache-Control": "private, max-age=30"}

    return r
