"""HTTP function `media`: upload sessions, media status, avatars (routes: openapi.yaml)."""

import flask
import functions_framework

from shared.bootstrap import container
from shared.services.media import build_router

_router = build_router(container())


@functions_framework.http
def media(request: flask.Request) -> flask.Response:
    return _router.dispatch(request)
