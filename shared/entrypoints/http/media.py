"""The media HTTP function: POST /v1/media, GET /v1/media/{id}, PUT /v1/me/avatar.

Parses the request and answers; the rules are in shared/domain/media.py and the work in
shared/usecases/media.py (every DomainError is mapped to its status by the Router).
"""

from __future__ import annotations

from shared.domain import media as domain
from shared.entrypoints.http.api import Request, Response, Router
from shared.usecases.media import MediaService


def router(media: MediaService) -> Router:
    router = Router()

    @router.route("POST", "/v1/media", action="write")
    def create_media(req: Request) -> Response:
        caller = req.caller()
        new = domain.parse_new_media(req.json())
        # GCS answers CORS on the session URL for the origin it was opened for.
        body = media.create_upload(caller.uid, new, req.raw.headers.get("Origin"))
        return body, 201, {"Location": f"/v1/media/{body['media_id']}"}

    @router.route("GET", "/v1/media/{id}")
    def get_media(req: Request) -> Response:
        caller = req.caller()
        return media.get(caller.uid, req.params["id"]).to_json(), 200

    @router.route("PUT", "/v1/me/avatar", action="write")
    def put_avatar(req: Request) -> Response:
        caller = req.caller()
        media_id = domain.parse_avatar_choice(req.json())
        return media.set_avatar(caller.uid, media_id), 200

    return router
