"""The posts HTTP function: POST /v1/posts, GET and DELETE /v1/posts/{id}.

Parses the request, calls the posts use case (shared/usecases/posts.py), shapes the answer.
Errors are the use case's domain errors, mapped once by the Router.
"""

from __future__ import annotations

from shared import ids
from shared.domain import errors
from shared.domain import posts as domain
from shared.entrypoints.http.api import Request, Response, Router
from shared.usecases.posts import PostsService


def _post_id(req: Request) -> int:
    try:
        return ids.parse_id(req.params["id"])
    except ValueError as exc:
        raise errors.InvalidInput("post id must be a decimal string of up to 19 digits") from exc


def router(posts: PostsService) -> Router:
    r = Router()

    @r.route("POST", "/v1/posts", action="post")
    def create_post(req: Request) -> Response:
        caller = req.caller()
        key = domain.parse_idempotency_key(req.raw.headers.get("Idempotency-Key"))
        draft = domain.parse_post_draft(req.json())
        post, created = posts.create(caller.uid, draft.text, key, draft.media_ids, draft.alts)
        headers = {"Location": f"/v1/posts/{post.id}"}
        return post.to_json(posts.author_of(post)), (201 if created else 200), headers

    @r.route("GET", "/v1/posts/{id}")
    def get_post(req: Request) -> Response:
        req.caller()
        post = posts.get(_post_id(req))
        return post.to_json(posts.author_of(post)), 200

    @r.route("DELETE", "/v1/posts/{id}", action="write")
    def delete_post(req: Request) -> Response:
        caller = req.caller()
        posts.delete(caller.uid, _post_id(req))
        return None, 204

    return r
