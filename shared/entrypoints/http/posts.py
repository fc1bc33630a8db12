"""The posts HTTP function: POST /v1/posts, GET and DELETE /v1/posts/{id}, and the writes of
conversations: PUT/DELETE /v1/posts/{id}/like and /v1/posts/{id}/repost.

Parses the request, calls the posts and engagement use cases (shared/usecases/posts.py,
shared/usecases/engagement.py), shapes the answer. Errors are the use cases' domain errors,
mapped once by the Router.
"""

from __future__ import annotations

from collections.abc import Callable

from shared import ids
from shared.domain import errors
from shared.domain import posts as domain
from shared.domain.conversations import Kind
from shared.entrypoints.http.api import Request, Response, Router
from shared.usecases.engagement import EngagementService
from shared.usecases.posts import PostsService


def post_id_param(req: Request) -> int:
    try:
        return ids.parse_id(req.params["id"])
    except ValueError as exc:
        raise errors.InvalidInput("post id must be a decimal string of up to 19 digits") from exc


def router(
    posts: PostsService, engagement: Callable[[], EngagementService] | None = None
) -> Router:
    """``engagement()`` gives the likes/reposts use case, built on first use (None: the
    engagement routes answer 503 and posts show zero counts)."""
    r = Router()

    def engaged() -> EngagementService:
        if engagement is None:
            raise errors.Unavailable("likes and reposts are not available in this deployment")
        return engagement()

    @r.route("POST", "/v1/posts", action="post")
    def create_post(req: Request) -> Response:
        caller = req.caller()
        key = domain.parse_idempotency_key(req.raw.headers.get("Idempotency-Key"))
        draft = domain.parse_post_draft(req.json())
        post, created = posts.create(
            caller.uid, draft.text, key, draft.media_ids, draft.alts, draft.reply_to
        )
        headers = {"Location": f"/v1/posts/{post.id}"}
        return post.to_json(posts.author_of(post)), (201 if created else 200), headers

    @r.route("GET", "/v1/posts/{id}")
    def get_post(req: Request) -> Response:
        caller = req.caller()
        post = posts.get(post_id_param(req), caller.uid)
        counts = None
        if engagement is not None:
            counts = engagement().complete([post.id], caller.uid)[post.id]
        return post.to_json(posts.author_of(post), counts), 200

    @r.route("DELETE", "/v1/posts/{id}", action="write")
    def delete_post(req: Request) -> Response:
        caller = req.caller()
        posts.delete(caller.uid, post_id_param(req))
        return None, 204

    def switch(req: Request, kind: Kind, on: bool) -> Response:
        caller = req.caller()
        pid = post_id_param(req)
        state, count = engaged().switch(kind, caller.uid, pid, on)
        if kind is Kind.LIKE:
            return {"post_id": str(pid), "liked": state, "like_count": count}, 200
        return {"post_id": str(pid), "reposted": state, "repost_count": count}, 200

    @r.route("PUT", "/v1/posts/{id}/like", action="write")
    def like(req: Request) -> Response:
        return switch(req, Kind.LIKE, True)

    @r.route("DELETE", "/v1/posts/{id}/like", action="write")
    def unlike(req: Request) -> Response:
        return switch(req, Kind.LIKE, False)

    @r.route("PUT", "/v1/posts/{id}/repost", action="write")
    def repost(req: Request) -> Response:
        return switch(req, Kind.REPOST, True)

    @r.route("DELETE", "/v1/posts/{id}/repost", action="write")
    def unrepost(req: Request) -> Response:
        return switch(req, Kind.REPOST, False)

    return r
